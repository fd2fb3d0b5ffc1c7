"""Voice: voiceprint verification as an authentication factor, and the voice banking assistant."""
