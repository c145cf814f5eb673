"""The demo: `gainrl demo` (Gradio, locally) and `gainrl push-space` (the Space on the Hub).

    app.py    the Gradio app: Solve tab (streamed answer, final answer, check) and the angle view
    core.py   the angle view's numbers: token-to-token cosines at the scoring layer, segments, rank in the dataset
    space.py  uploading the Space (app, README, demo_config.json, the gainrl package)
"""
