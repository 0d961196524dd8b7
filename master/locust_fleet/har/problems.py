"""The one kind of error the HAR converter reports: a list of mistakes, one line each, all at once."""


class Problems(Exception):
    """Input the converter cannot use; problems holds one line per mistake."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
