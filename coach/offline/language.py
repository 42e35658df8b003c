"""Which language a wish is written in when it is not English, so the coach can say so instead of guessing.

The offline coach reads English only. A text that does not read as English (some of its words are neither
English nor the lexicon's) is given to py3langid, whose small model ships inside its wheel (no download);
when it names another language with some confidence, the coach asks for the wish in English and names the
language. English with typos, jargon or nonsense ("finacial modleing", "asdf qwerty") scores low for every
language and is left to the spelling step; short English phrases are never sent to the model at all.
"""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from coach.offline.vocabulary import Vocabulary
from vectorstore.once import once

MIN_PROBABILITY = 0.3  # English typos and nonsense score under 0.25; short foreign wishes 0.6 and more
_NOT_LANGUAGES = frozenset({"en", "zxx"})  # English, and py3langid's "no linguistic content"

# ISO 639-1 names of the languages py3langid tells apart; a code missing here reads "another language".
LANGUAGE_NAMES = {
    "af": "Afrikaans", "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "as": "Assamese",
    "az": "Azerbaijani", "ba": "Bashkir", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish",
    "de": "German", "dz": "Dzongkha", "el": "Greek", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fo": "Faroese", "fr": "French", "fy": "Frisian",
    "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "gu": "Gujarati", "ha": "Hausa",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian",
    "hy": "Armenian", "id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian",
    "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lg": "Ganda",
    "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mg": "Malagasy",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay",
    "mt": "Maltese", "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian", "no": "Norwegian",
    "oc": "Occitan", "om": "Oromo", "or": "Odia", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda",
    "sa": "Sanskrit", "se": "Northern Sami", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian",
    "sn": "Shona", "so": "Somali", "sq": "Albanian", "sr": "Serbian", "st": "Sotho", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "tk": "Turkmen",
    "tl": "Tagalog", "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu",
    "uz": "Uzbek", "vi": "Vietnamese", "vo": "Volapük", "wa": "Walloon", "xh": "Xhosa", "yo": "Yoruba",
    "zh": "Chinese", "zu": "Zulu",
}  # fmt: skip


@once
def _identifier() -> LanguageIdentifier:
    """py3langid's model from its wheel, loaded once per process (under a second)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def other_language(text: str, vocabulary: Vocabulary) -> str:
    """The ISO 639-1 code of the language `text` is written in when it is not English, else ""."""
    if not text.strip() or vocabulary.reads_as_english(text) or not vocabulary.unknown_words(text):
        return ""
    code, probability = _identifier().classify(text)
    return str(code) if code not in _NOT_LANGUAGES and probability >= MIN_PROBABILITY else ""


def language_name(code: str) -> str:
    """ "es" -> "Spanish"; a code without a name here -> "another language"."""
    return LANGUAGE_NAMES.get(code, "another language")
