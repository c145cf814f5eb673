"""GAIN-RL demo Space: solve a math question with a GAIN-RL checkpoint and see its angle view.

The Space runs `python app.py`; host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT. What it shows is
set by `demo_config.json` (written by `gainrl push-space`) or GAINRL_DEMO_MODEL, GAINRL_DEMO_COMPARE,
GAINRL_DEMO_SORTED_DATASET, ... environment variables. Locally: `gainrl demo --model M`.
"""

from pathlib import Path

from gainrl.demo.app import DemoConfig, build_demo

demo = build_demo(DemoConfig.for_space(Path(__file__).resolve().parent))

if __name__ == "__main__":
    demo.launch()
