"""Real-time transcription over a WebSocket, speaking AssemblyAI's v3 streaming protocol."""
