"""Answer checkers shared by training rewards, lm-eval tasks and the demo.

Math: `extract_answer` (the final answer of a completion), `math_equal` (are two answers the same?),
`score_math` (1.0 / 0.0 for a completion against a reference). Code: `check_code` runs untrusted programs against
tests in a sandbox and returns a `CodeResult`; `score_code` (1.0 / 0.0 for a completion against tests in any form of
`code_tests`). Each submodule's docstring says what it does not cover.
"""

from gainrl.checkers.code_tests import score_code
from gainrl.checkers.extraction import extract_answer
from gainrl.checkers.math import DEFAULT_TIMEOUT_S, math_equal, score_math
from gainrl.checkers.sandbox import CaseResult, CodeResult, check_code

__all__ = ["extract_answer", "math_equal", "score_math", "check_code", "score_code", "CodeResult", "CaseResult",
           "DEFAULT_TIMEOUT_S"]
