# nbgrader configuration for a course with the attention kernel (nbgrader 0.9.x).
# nbgrader reads this file from the directory it runs in, and that directory is the course
# directory (source/, release/, submitted/, autograded/, feedback/, gradebook.db). Keep
# courses outside the repository: `make course DIR=~/my-course [SRC=...] [ASSIGNMENT=...]`
# lays one out with a copy of this file (docs/INSTRUCTORS.md, notebooks/README.md).
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

# Autograding: 30 s per cell, interrupt the kernel on a time-out (losing only that cell:
# the kernel keeps running and the rest of the notebook is graded).
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Feedback shows the hidden tests (autograde restored them). To strip them, uncomment:
# c.GenerateFeedback.preprocessors = [
#     "nbgrader.preprocessors.GetGrades",
#     "nbgrader.preprocessors.ClearHiddenTests",
#     "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
# ]
