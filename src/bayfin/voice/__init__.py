"""Voice: voiceprint verification as an authentication factor, and the voice banking assistant.

Other modules use this surface only: :data:`VOICE`, the typed key of the platform's
:class:`VoiceService`, and :func:`voice_service`, which gives the configured one. Names resolve lazily,
so importing the package loads no audio or model library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.voice.service import VoiceService
    from bayfin.voice.wiring import VOICE, voice_service

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("VOICE", "voice_service"), ".wiring"),
    "VoiceService": ".service",
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["VOICE", "VoiceService", "voice_service"]
