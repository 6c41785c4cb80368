"""The weights loop and the user's copies: dataset exports, the export ledger, LoRA adapters."""
