"""A pytest plugin for the mutation-testing run only (docs/mutation-testing.md), loaded by
``[tool.mutmut] pytest_add_cli_args``; the suite itself never loads it.

mutmut runs a mutant only against the tests it saw calling the mutated function. The business
calendar keeps the holidays of each year and the window of each day in lru_caches, so without
this only the first test to ask about a year would be seen calling the holiday rules, and a
mutant of a rule would go untried by every later test that pins it. Emptying the caches before
each test makes every test compute what it reads.
"""


def pytest_runtest_setup(item) -> None:
    from escalation import calendar

    calendar._holidays_of.cache_clear()
    calendar._window.cache_clear()
