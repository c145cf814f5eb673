"""gainrl: GAIN-RL (https://huggingface.co/papers/2506.02281) as reproducible software around the Hugging Face Hub.

Importing `gainrl` is cheap: no torch, transformers or Hub client is imported until a command needs it.
"""

__version__ = "0.1.0.dev0"
