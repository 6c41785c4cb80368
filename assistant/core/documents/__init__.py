"""The user's own documents as knowledge: read, chunk, index, keep in sync, retrieve.

Plain Python over a store port: nothing here imports Textual, llama.cpp or LanceDB.
"""
