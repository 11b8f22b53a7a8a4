"""Every lesson fits the plan's budget of student time, by the rule in student_time.py."""
from student_time import BUDGET_MINUTES, Estimate, lessons


def test_every_lesson_fits_the_budget():
    found = lessons()
    assert len(found) == 6, [e.lesson for e in found]
    over = [(e.lesson, round(e.minutes, 1)) for e in found if e.minutes > BUDGET_MINUTES]
    assert not over, f"over {BUDGET_MINUTES} minutes: {over}"


def test_the_rule_counts_what_it_says():
    # 300 words, 4 code cells, 2 exercises, 1 check: 2 + 4 + 10 + 3 minutes
    assert Estimate("x", words=300, code_cells=4, exercises=2, checks=1).minutes == 19
