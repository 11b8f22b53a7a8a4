import Glibc

/// Why a path given to save or load is refused.
enum FilePathProblem: Error, Sendable, Equatable {
    case empty
    case absolute
    case parentDirectory
    case notSafetensors
    case outsideFolder
    case notAFile

    var message: String {
        switch self {
        case .empty: "the path is empty"
        case .absolute: "absolute paths are not allowed; give a path relative to the notebook's folder, such as \"model.safetensors\""
        case .parentDirectory: "'..' is not allowed: files stay inside the notebook's folder"
        case .notSafetensors: "the file name must end in .safetensors"
        case .outsideFolder: "it leads outside the notebook's folder (through a symbolic link)"
        case .notAFile: "it is not a regular file"
        }
    }
}

/// Files of the notebook's folder: the kernel's working directory (Jupyter and nbconvert
/// start a kernel in the notebook's folder), or the host's `fileFolder` when it names one.
/// Every path is relative, has no `..`, and must resolve (symbolic links followed) to a
/// place inside that folder.
struct NotebookFiles {
    /// The folder, resolved (no symbolic links).
    let root: String

    /// - Parameter folder: the folder, or nil for the working directory.
    init(folder: String?) throws(LangError) {
        let base = folder ?? "."
        guard let resolved = NotebookFiles.realPath(base) else {
            throw LangError(.fileSystem(path: base, action: "open the folder", error: NotebookFiles.errnoText()), at: nil)
        }
        root = resolved
    }

    /// The absolute path of `path` inside the folder, checked as described above. For
    /// writing, the file need not exist, but its folder must (and must be inside).
    func resolve(_ path: String, forWriting: Bool) throws(FilePathProblem) -> String {
        guard !path.isEmpty else { throw .empty }
        guard !path.hasPrefix("/"), !path.hasPrefix("~") else { throw .absolute }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else { throw .parentDirectory }
        guard path.hasSuffix(".safetensors"), let last = components.last, last != ".safetensors" else { throw .notSafetensors }
        let joined = root + "/" + components.joined(separator: "/")
        if let resolved = NotebookFiles.realPath(joined) {
            guard inside(resolved) else { throw .outsideFolder }
            return resolved
        }
        // The file does not exist (or is a dangling link): its folder must be inside.
        var info = stat()
        if lstat(joined, &info) == 0 { throw .outsideFolder }  // a link to nowhere (or outside)
        let parent = components.dropLast().joined(separator: "/")
        guard let folder = NotebookFiles.realPath(parent.isEmpty ? root : root + "/" + parent), inside(folder) else {
            throw forWriting ? .outsideFolder : .notAFile
        }
        return folder + "/" + String(last)
    }

    private func inside(_ resolved: String) -> Bool {
        resolved == root || resolved.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// The whole file, refused when larger than `limit` bytes (checked before reading).
    static func read(_ path: String, limit: Int) throws(NotebookFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? .missing : .system(errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegular }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(bytes: size, limit: limit) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 { if errno == EINTR { continue }; throw .system(errnoText()) }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0..<done])
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so a
    /// failed save never leaves half a file under the name.
    static func write(_ bytes: [UInt8], to path: String) throws(NotebookFileError) {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .system(errnoText()) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let text = errnoText()
                close(fd)
                unlink(temporary)
                throw .system(text)
            }
            done += n
        }
        guard close(fd) == 0, rename(temporary, path) == 0 else {
            let text = errnoText()
            unlink(temporary)
            throw .system(text)
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

enum NotebookFileError: Error {
    case missing
    case notRegular
    case tooLarge(bytes: Int, limit: Int)
    case system(String)
}
