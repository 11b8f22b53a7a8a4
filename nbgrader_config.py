# nbgrader configuration for the attention course (nbgrader 0.9.x).
# The course directory is the repository root: the lesson notebooks are laid out as
# source/lessonN/NN-name.ipynb by `python3 notebooks/src/build_notebooks.py --course .`
# (or copied there by hand); see notebooks/README.md.
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "attention"

# The stub that replaces every solution region (keyed by the notebooks'
# metadata.kernelspec.language, which is "attention"). It must make the test fail.
c.ClearSolutions.code_stub = {
    "attention": "// YOUR CODE HERE\nassert(false, \"replace this line with your solution\")",
}
# Markers match as substrings, so they work inside `//` comments. (nbgrader spells the
# option "delimeter".) These are nbgrader's defaults, stated for the reader.
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Autograding: 30 s per cell, interrupt the kernel on a time-out (losing only that cell).
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
