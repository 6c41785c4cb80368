"""Pure file formats the core reads and writes: chat history, memory exports, transcripts."""
