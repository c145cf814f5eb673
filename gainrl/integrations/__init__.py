"""Adapters from gainrl to other training frameworks (verl). Each module imports its framework itself."""
