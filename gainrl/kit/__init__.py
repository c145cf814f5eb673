"""The offline kit: everything `gainrl quickstart` needs to run end to end without the network.

    tiny.py            `gainrl tiny`: small random causal LMs with a tokenizer trained offline
    synthetic.py       synthetic arithmetic problems at graded difficulty
    synthetic_code.py  synthetic programming problems with test cases
    warmstart.py       the quickstart's supervised warm start (TRL's SFTTrainer)
    quickstart.py      `gainrl quickstart`: local Hub, data, model, score, train, eval, summary
"""
