"""The portal's languages, in one list, each under its own name: a new one (Nepali, Thai, Sinhala,
Traditional Chinese) is added here and as a catalogue under translations/, with no other code change."""

LANGUAGES = {"en": "English", "fil": "Filipino", "id": "Bahasa Indonesia"}
