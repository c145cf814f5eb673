"""The old import path of `gainrl.eval.lm_eval_hooks`, kept so lm-eval task files that name
`!function gainrl.lm_eval_hooks.<name>` keep working: importing it gives that very module.

What it does not cover: anything of its own; new task files should name `gainrl.eval.lm_eval_hooks`.
"""

import sys

from gainrl.eval import lm_eval_hooks

sys.modules[__name__] = lm_eval_hooks
