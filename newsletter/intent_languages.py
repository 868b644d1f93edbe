"""Phrase tables for requests written in other languages than English: the Indian languages most readers write
in (Hindi, also typed in Latin letters, Tamil, Bengali, Urdu, Telugu, Marathi, Gujarati, Kannada, Malayalam,
Punjabi), Nepali, and the foreign languages readers abroad use most. The common phrasings, not a grammar:
polite imperatives ("जोड़ दें", "சேர்க்கவும்"), "I want to receive", "do not send", "remove", and the words around
them (please, not, if, later, my friend, the newsletter, the list).

Phrases are plain text, matched whole-word after folding (intent_cues.fold: no nukta, no joiners, one spelling
of Urdu letters). A leading or trailing '*' drops the word boundary on that side, for endings that vary and for
scripts without spaces (Chinese, Japanese).
"""

from __future__ import annotations

_KINDS = {
    "subscribe": ("SUB", "subscribe", "self"),
    "subscribe_obj": ("SUB", "subscribe", "obj self"),
    "send": ("SUB", "subscribe", "obj self send"),
    "unsubscribe": ("UNSUB", "unsubscribe", "self"),
    "bare": ("SUB", "subscribe", "bare"),
    "bare_unsubscribe": ("UNSUB", "unsubscribe", "bare"),
    "keep": ("KEEP", "keep", "self"),
    "frame": ("FRAME", "", ""),
    "negation": ("NEG", "", ""),
    "negation_past": ("NEG", "", "past"),
    "condition": ("COND", "", ""),
    "polite": ("POLITE", "", ""),
    "later": ("LATER", "", ""),
    "question": ("QUESTION", "", ""),
    "third": ("THIRD", "", ""),
    "own": ("OWN", "", ""),
    "topic": ("OBJ", "", "strong"),
    "name": ("OBJ", "", "name"),
    "other": ("OTHER", "", ""),
    "sense": ("SENSE", "", ""),
    "complaint": ("COMPLAINT", "", ""),
    "feedback": ("FEEDBACK", "", ""),
}


def _table(**kinds: list[str]) -> dict[tuple[str, str, str], list[str]]:
    return {_KINDS[kind]: phrases for kind, phrases in kinds.items()}


_VIRAMA = "\u094d\u09cd\u0acd\u0bcd\u0c4d\u0ccd\u0d4d"
_NOUNS = {_KINDS[kind] for kind in ("third", "topic", "name", "other")}


def _suffixed(table: dict[tuple[str, str, str], list[str]]) -> dict[tuple[str, str, str], list[str]]:
    """Tamil, Telugu, Kannada, Malayalam, Bengali, Marathi and Gujarati join case endings to the noun (நண்பருக்கு,
    বন্ধুকে, मित्राला): their nouns match as stems, without a final virama and with any ending."""
    return {
        key: [phrase if phrase.endswith("*") else phrase.rstrip(_VIRAMA) + "*" for phrase in phrases]
        if key in _NOUNS
        else phrases
        for key, phrases in table.items()
    }


def _hindi(stems: list[str], endings: list[str]) -> list[str]:
    return [f"{stem} {ending}" for stem in stems for ending in endings]


def _desire(stems: list[str], wants: list[str]) -> list[str]:
    return [f"{stem} {want}" for stem in stems for want in wants]


_HINDI_WANT = ["चाहता", "चाहती", "चाहते", "चाहूंगा", "चाहूंगी", "चाहेंगे", "चाहता हूं", "चाहती हूं"]
_LIGHT_VERBS = ["करें", "कीजिए", "कीजिये", "करो", "कर दें", "कर दीजिए", "कर दीजिये", "कर दो", "कर लें", "कर लीजिए"]

# fmt: off
LANGUAGES: dict[str, dict[tuple[str, str, str], list[str]]] = {
    "Hindi": _table(
        subscribe=[
            *_hindi(["जोड़"], ["दें", "दीजिए", "दीजिये", "लें", "लीजिए", "लीजिये", "दो", "लो"]),
            "जोड़ें", "जोड़िए", "जोड़िये", "जोड़ो",
            *_hindi(["शामिल", "ऐड", "सब्सक्राइब", "सबस्क्राइब"], _LIGHT_VERBS),
            *_desire(["सदस्यता लेना", "सदस्य बनना", "सब्सक्राइब करना", "जुड़ना", "पाना", "प्राप्त करना"], _HINDI_WANT),
            "सदस्य बना लें", "सदस्य बनाएं", "सदस्य बनाइए",
        ],
        subscribe_obj=["चाहिए", "चाहिये", "पढ़ना चाहता", "पढ़ना चाहती"],
        bare=["सब्सक्राइब*", "सबस्क्राइब*"],
        bare_unsubscribe=["अनसब्सक्राइब*", "अनसबस्क्राइब*"],
        send=["भेजें", "भेजिए", "भेजिये", "भेज दें", "भेज दीजिए", "भेज दीजिये", "भेजा करें", "भेजो"],
        unsubscribe=[
            *_hindi(["हटा", "निकाल"], ["दें", "दीजिए", "दीजिये", "दो", "लें", "लीजिए"]),
            "हटाएं", "हटाइए", "हटाइये", "हटाओ", "निकालें", "निकालिए",
            *_hindi(["बंद", "भेजना बंद", "अनसब्सक्राइब", "अनसबस्क्राइब", "डिलीट", "रिमूव"], _LIGHT_VERBS),
            "मत भेजें", "मत भेजिए", "मत भेजो", "न भेजें", "ना भेजें", "नहीं भेजें", "सदस्यता रद्द", "सदस्यता समाप्त",
            "सदस्यता खत्म", "नहीं चाहिए", "नहीं चाहिये", "अब नहीं चाहिए", "पाना नहीं चाहता", "पाना नहीं चाहती",
            "प्राप्त नहीं करना चाहता", "प्राप्त नहीं करना चाहती",
        ],
        keep=["भेजते रहें", "भेजते रहिए", "भेजते रहिये", "जारी रखें", "जारी रखिए"],
        frame=[
            "कृपया", "कृप्या", "प्लीज", "अनुरोध", "निवेदन", "विनती", "इच्छुक", "आभारी", *_HINDI_WANT,
        ],
        negation=["नहीं", "मत", "न", "ना", "बिना", "जरूरत नहीं", "आवश्यकता नहीं"],
        negation_past=["कभी नहीं", "नहीं किया", "नहीं ली", "नहीं मांगा", "नहीं कहा"],
        condition=["अगर", "यदि", "बशर्ते"],
        polite=["अगर संभव हो", "यदि संभव हो", "हो सके तो", "संभव हो तो"],
        later=["बाद में", "सोच रहा", "सोच रही", "शायद", "करूंगा", "करूंगी", "अगले महीने"],
        question=["कैसे", "कहाँ", "कहां"],
        third=[
            "मेरे मित्र", "मेरी मित्र", "मेरे दोस्त", "मेरी दोस्त", "मेरे सहकर्मी", "मेरी सहकर्मी", "मेरे सहयोगी",
            "मेरी पत्नी", "मेरे पति", "मेरे बेटे", "मेरी बेटी", "मेरे भाई", "मेरी बहन", "मेरे पिता", "मेरे पिताजी",
            "मेरी माँ", "मेरी मां", "उन्हें", "उनको", "उसे", "उसको", "उनका", "उनकी", "उनके", "उसका", "उसकी",
        ],
        own=["मुझे", "मेरा", "मेरी", "मेरे", "मैं", "हमें", "हमारा"],
        topic=["सदस्यता", "मेलिंग लिस्ट", "मेलिंग सूची", "ईमेल सूची", "डाक सूची", "सूची", "लिस्ट"],
        name=["न्यूज़लेटर", "न्यूज़ लेटर", "समाचार पत्रिका", "इंडिया एंड द वर्ल्ड", "ईमेल", "ई-मेल"],
        other=["कार्यक्रम", "वेबिनार", "सम्मेलन", "संगोष्ठी", "पत्रिका", "व्हाट्सएप", "यूट्यूब", "चैनल"],
        sense=["लेख प्रकाशित", "प्रकाशित करें", "सिफारिश", "फॉरवर्ड किया", "सुझाव दिया"],
        feedback=["बहुत अच्छा", "बहुत अच्छी", "पसंद", "धन्यवाद", "शानदार", "बढ़िया"],
    ),
    "Hindi (romanised)": _table(
        subscribe=[
            "add kar do", "add kar dijiye", "add kar dijie", "add karein", "add kare", "add krdo", "add kr do",
            "add kar lijiye", "jod do", "jod dijiye", "jod dijie", "jod lijiye", "jodiye", "shamil kar lijiye",
            "shamil karein", "shamil kar do", "subscribe karna hai", "subscribe karna chahta", "subscribe karna chahti",
            "subscribe kar do", "subscribe kar dijiye",
        ],
        subscribe_obj=["chahiye", "chahie"],
        send=["bhej do", "bhej dijiye", "bhej dijie", "bhejiye", "bhejo", "bheja karein"],
        unsubscribe=[
            "hata do", "hata dijiye", "hata dijie", "hatao", "hataiye", "nikal do", "nikal dijiye", "mat bhejo",
            "mat bhejiye", "na bhejein", "na bheje", "band karo", "band kar do", "band kijiye", "band kar dijiye",
            "bhejna band", "nahi chahiye", "nahin chahiye", "unsubscribe kar do", "unsubscribe kar dijiye",
        ],
        keep=["bhejte rahiye", "bhejte raho", "mat hatao", "mat hataiye"],
        frame=["kripya", "kripaya", "meherbani", "chahta", "chahti", "chahte", "dijiye", "kijiye", "karein"],
        negation=["nahi", "nahin", "mat"],
        condition=["agar", "yadi"],
        later=["baad mein", "baad me", "soch raha", "soch rahi", "shayad"],
        third=["mere dost", "meri dost", "mere friend", "mere colleague", "meri wife", "mere husband", "unko",
               "usko", "unhe", "unhein", "uska", "unka"],
        own=["mujhe", "mera", "meri", "mere", "hume", "humein"],
    ),
    "Nepali": _table(
        subscribe=["थप्नुहोस्", "समावेश गर्नुहोस्", "सदस्यता लिन चाहन्छु", "पाउन चाहन्छु", "जोड्नुहोस्"],
        send=["पठाउनुहोस्"],
        unsubscribe=["हटाउनुहोस्", "नपठाउनुहोस्", "पठाउन बन्द गर्नुहोस्", "सदस्यता रद्द गर्नुहोस्"],
        frame=["कृपया", "चाहन्छु"],
        negation=["होइन", "छैन"],
        own=["मलाई", "मेरो"],
        name=["न्यूजलेटर"],
    ),
    "Tamil": _suffixed(_table(
        subscribe=[
            "சேர்க்கவும்", "சேர்த்துக் கொள்ளவும்", "சேர்த்துக்கொள்ளவும்", "சேர்த்து கொள்ளவும்", "சேர்த்துக் கொள்ளுங்கள்",
            "சேர்த்துக்கொள்ளுங்கள்", "சேர்த்து விடுங்கள்", "இணைக்கவும்", "இணைத்துக் கொள்ளவும்", "இணைத்துக்கொள்ளவும்",
            "பெற விரும்புகிறேன்", "பெற ஆசைப்படுகிறேன்", "சந்தாதாரராக விரும்புகிறேன்", "சப்ஸ்கிரைப் செய்யவும்",
            "சப்ஸ்கிரைப் செய்ய விரும்புகிறேன்", "சந்தா செலுத்த விரும்புகிறேன்",
        ],
        subscribe_obj=["சேர விரும்புகிறேன்", "இணைய விரும்புகிறேன்", "படிக்க விரும்புகிறேன்"],
        send=["அனுப்பவும்", "அனுப்புங்கள்", "அனுப்பி வைக்கவும்", "அனுப்பி வையுங்கள்"],
        unsubscribe=[
            "நீக்கவும்", "நீக்கி விடவும்", "நீக்கிவிடவும்", "நீக்குங்கள்", "நீக்கி விடுங்கள்", "நீக்கிவிடுங்கள்",
            "அனுப்ப வேண்டாம்", "அனுப்புவதை நிறுத்தவும்", "அனுப்புவதை நிறுத்துங்கள்", "நிறுத்தவும்", "நிறுத்துங்கள்",
            "விலக விரும்புகிறேன்", "விலக்கவும்", "சந்தாவை ரத்து", "அன்சப்ஸ்கிரைப்*", "இனி வேண்டாம்", "பெற விரும்பவில்லை",
        ],
        keep=["நீக்க வேண்டாம்", "தொடர்ந்து அனுப்பவும்", "தொடர்ந்து அனுப்புங்கள்", "அனுப்புவதை நிறுத்த வேண்டாம்"],
        frame=["தயவுசெய்து", "தயவு செய்து", "விரும்புகிறேன்", "வேண்டுகிறேன்", "கேட்டுக்கொள்கிறேன்", "கேட்டுக் கொள்கிறேன்"],
        negation=["வேண்டாம்", "இல்லை", "மாட்டேன்"],
        negation_past=["*வில்லை"],
        condition=["என்றால்", "எனில்", "இருந்தால்"],
        later=["பிறகு", "பின்னர்", "அப்புறம்", "யோசிக்கிறேன்"],
        question=["எப்படி", "எவ்வாறு"],
        third=[
            "என் நண்பர்", "என் நண்பன்", "என் நண்பி", "என் தோழி", "என் சக ஊழியர்", "என் மனைவி", "என் கணவர்",
            "என் மகன்", "என் மகள்", "என் சகோதரர்", "என் சகோதரி", "என் தந்தை", "என் அப்பா", "என் அம்மா",
            "எனது நண்பர்", "அவருக்கு", "அவரை", "அவளை", "அவனை", "அவர்களை", "அவர்களுக்கு", "அவரது",
        ],
        own=["என்னை", "என்", "எனது", "எனக்கு", "நான்"],
        topic=["மின்னஞ்சல் பட்டியல*", "அஞ்சல் பட்டியல*", "பட்டியல*", "சந்தா*"],
        name=["செய்திமடல*", "செய்தி மடல*", "நியூஸ்லெட்டர*", "இந்தியா அண்ட் தி வேர்ல்ட*", "மின்னஞ்சல*"],
        other=["நிகழ்ச்சி*", "கருத்தரங்க*", "வெபினார*", "உறுப்பினர*", "வாட்ஸ்அப*"],
        sense=["பரிந்துரை*", "கட்டுரையை வெளியிட*"],
        feedback=["நன்றாக", "அருமை*", "சிறப்பாக"],
    )),
    "Bengali": _suffixed(_table(
        subscribe=[
            "যোগ করুন", "যুক্ত করুন", "যোগ করে দিন", "যুক্ত করে দিন", "অন্তর্ভুক্ত করুন", "পেতে চাই", "পেতে আগ্রহী",
            "গ্রাহক হতে চাই", "সাবস্ক্রাইব করতে চাই", "সাবস্ক্রাইব করুন", "সদস্য হতে চাই",
        ],
        send=["পাঠান", "পাঠাবেন", "পাঠিয়ে দিন", "পাঠাতে থাকবেন"],
        unsubscribe=[
            "বাদ দিন", "সরিয়ে দিন", "সরান", "মুছে দিন", "পাঠাবেন না", "পাঠানো বন্ধ করুন", "বন্ধ করুন", "আর চাই না",
            "পেতে চাই না", "আনসাবস্ক্রাইব*", "সদস্যপদ বাতিল", "বাতিল করুন",
        ],
        keep=["পাঠাতে থাকুন", "বাদ দেবেন না"],
        frame=["দয়া করে", "অনুগ্রহ করে", "অনুরোধ", "চাই"],
        negation=["না", "নয়", "নেই"],
        negation_past=["চাইনি", "করিনি", "বলিনি"],
        condition=["যদি"],
        later=["পরে", "ভাবছি"],
        question=["কিভাবে", "কীভাবে", "কেমন করে"],
        third=[
            "আমার বন্ধু", "আমার বন্ধুর", "আমার সহকর্মী", "আমার স্ত্রী", "আমার স্বামী", "আমার ছেলে", "আমার মেয়ে",
            "আমার ভাই", "আমার বোন", "আমার বাবা", "আমার মা", "তাকে", "তাঁকে", "ওকে", "ওঁকে", "তাদের", "তাঁর",
        ],
        own=["আমাকে", "আমার", "আমি"],
        topic=["মেইলিং লিস্ট", "মেলিং লিস্ট", "তালিকা", "তালিকায়", "গ্রাহক"],
        name=["নিউজলেটার*", "নিউজ লেটার*", "ইন্ডিয়া অ্যান্ড দ্য ওয়ার্ল্ড", "ইমেইল*", "ইমেল*"],
        other=["অনুষ্ঠান*", "সেমিনার*", "ওয়েবিনার*"],
        feedback=["ভালো লাগে", "ভালো লেগেছে", "ধন্যবাদ", "চমৎকার"],
    )),
    "Urdu": _table(
        subscribe=[
            "شامل کر دیں", "شامل کریں", "شامل کر لیں", "شامل کیجیے", "شامل کیجئے", "جوڑ دیں", "ایڈ کر دیں",
            "حاصل کرنا چاہتا", "حاصل کرنا چاہتی", "سبسکرائب کرنا چاہتا", "سبسکرائب کرنا چاہتی", "سبسکرائب کریں",
            "رکنیت حاصل کرنا چاہتا", "رکنیت حاصل کرنا چاہتی",
        ],
        send=["بھیجیں", "بھیج دیں", "بھیجا کریں", "بھیجئے", "بھیجیے"],
        unsubscribe=[
            "ہٹا دیں", "ہٹائیں", "نکال دیں", "خارج کر دیں", "مت بھیجیں", "نہ بھیجیں", "بھیجنا بند کریں",
            "بھیجنا بند کر دیں", "بند کر دیں", "ان سبسکرائب", "رکنیت ختم", "رکنیت منسوخ", "سبسکرپشن منسوخ",
            "نہیں چاہیے", "نہیں چاہئے",
        ],
        keep=["بھیجتے رہیں", "جاری رکھیں"],
        frame=["براہ کرم", "براہِ کرم", "مہربانی", "گزارش", "درخواست", "چاہتا", "چاہتی", "چاہتے"],
        negation=["نہیں", "مت", "نہ"],
        negation_past=["کبھی نہیں"],
        condition=["اگر"],
        later=["بعد میں", "سوچ رہا", "سوچ رہی", "شاید"],
        question=["کیسے", "کس طرح"],
        third=[
            "میرے دوست", "میری دوست", "میرے ساتھی", "میری بیوی", "میرے شوہر", "میرے بیٹے", "میری بیٹی", "میرے بھائی",
            "میری بہن", "میرے والد", "انہیں", "ان کو", "اسے", "اس کو", "ان کا", "ان کی",
        ],
        own=["مجھے", "میرا", "میری", "میرے", "میں"],
        topic=["میلنگ لسٹ", "فہرست", "رکنیت", "سبسکرپشن"],
        name=["نیوز لیٹر", "نیوزلیٹر", "خبرنامہ", "انڈیا اینڈ دی ورلڈ", "ای میل"],
        feedback=["شکریہ", "بہت اچھا", "پسند"],
        other=["تقریب", "سیمینار", "ویبینار"],
    ),
    "Telugu": _suffixed(_table(
        subscribe=[
            "చేర్చండి", "చేర్చగలరు", "జోడించండి", "జోడించగలరు", "పొందాలనుకుంటున్నాను", "పొందాలని అనుకుంటున్నాను",
            "సబ్‌స్క్రైబ్ చేయండి", "సబ్‌స్క్రైబ్ చేయాలనుకుంటున్నాను", "చందాదారుగా చేర్చండి",
        ],
        send=["పంపండి", "పంపగలరు", "పంపించండి", "పంపించగలరు"],
        unsubscribe=[
            "తొలగించండి", "తొలగించగలరు", "తీసివేయండి", "పంపవద్దు", "పంపకండి", "పంపడం ఆపండి", "పంపడం ఆపేయండి",
            "ఆపండి", "ఆపేయండి", "అన్‌సబ్‌స్క్రైబ్*", "ఇక వద్దు",
        ],
        keep=["పంపుతూ ఉండండి", "తొలగించవద్దు"],
        frame=["దయచేసి", "దయ చేసి", "కోరుతున్నాను", "అనుకుంటున్నాను"],
        negation=["వద్దు", "లేదు", "కాదు"],
        condition=["అయితే", "ఐతే"],
        later=["తర్వాత", "తరువాత"],
        question=["ఎలా"],
        third=[
            "నా స్నేహితుడు", "నా స్నేహితురాలు", "నా స్నేహితుని", "నా సహోద్యోగి", "నా భార్య", "నా భర్త", "నా కొడుకు",
            "నా కూతురు", "నా తండ్రి", "ఆయనను", "ఆమెను", "వారిని", "అతనిని",
        ],
        own=["నన్ను", "నా", "నాకు", "నేను"],
        topic=["మెయిలింగ్ లిస్ట*", "జాబితా*", "చందా*"],
        name=["న్యూస్‌లెటర*", "వార్తాలేఖ*", "ఇండియా అండ్ ది వరల్డ*"],
        feedback=["బాగుంది", "ధన్యవాదాలు"],
        other=["కార్యక్రమం", "సదస్సు", "వెబినార్", "సభ్యత్వం"],
    )),
    "Marathi": _suffixed(_table(
        subscribe=[
            "जोडा", "जोडून घ्या", "समाविष्ट करा", "सामील करा", "यादीत घ्या", "मिळवायचे आहे", "प्राप्त करायचे आहे",
            "सदस्य व्हायचे आहे", "सबस्क्राइब करायचे आहे", "सबस्क्राईब करा", "सबस्क्राइब करा",
        ],
        send=["पाठवा", "पाठवत जा"],
        unsubscribe=[
            "काढून टाका", "काढा", "वगळा", "पाठवू नका", "पाठवणे बंद करा", "बंद करा", "अनसबस्क्राइब*", "नको आहे",
        ],
        keep=["पाठवत रहा", "काढू नका"],
        frame=["कृपया", "विनंती", "इच्छा आहे", "इच्छुक"],
        negation=["नका", "नाही", "नको"],
        condition=["जर"],
        later=["नंतर"],
        question=["कसे", "कसं"],
        third=[
            "माझा मित्र", "माझ्या मित्राला", "माझी मैत्रीण", "माझा सहकारी", "माझी पत्नी", "माझे पती", "माझा मुलगा",
            "माझी मुलगी", "माझा भाऊ", "माझी बहीण", "त्यांना", "त्याला", "तिला",
        ],
        own=["मला", "माझा", "माझी", "माझे", "मी", "माझ्या"],
        topic=["यादी", "यादीत"],
        feedback=["आवडले", "छान", "आभार"],
        name=["न्यूजलेटर", "वार्तापत्र", "वृत्तपत्र"],
        other=["परिषद"],
    )),
    "Gujarati": _suffixed(_table(
        subscribe=[
            "ઉમેરો", "ઉમેરી દો", "ઉમેરજો", "સામેલ કરો", "સમાવેશ કરો", "જોડો", "મેળવવા માંગુ છું", "મેળવવા માગું છું",
            "સબ્સ્ક્રાઇબ કરવા માંગુ", "સબસ્ક્રાઇબ કરો", "સબ્સ્ક્રાઇબ કરો",
        ],
        send=["મોકલો", "મોકલજો", "મોકલી આપો"],
        unsubscribe=[
            "દૂર કરો", "કાઢી નાખો", "કાઢી નાંખો", "હટાવો", "મોકલશો નહીં", "મોકલવાનું બંધ કરો", "બંધ કરો",
            "અનસબ્સ્ક્રાઇબ*", "અનસબસ્ક્રાઇબ*", "સભ્યપદ રદ",
        ],
        keep=["મોકલતા રહો", "દૂર ન કરો"],
        frame=["કૃપા કરીને", "મહેરબાની કરીને", "વિનંતી", "માંગુ છું", "માગું છું"],
        negation=["નહીં", "ના", "નથી"],
        condition=["જો"],
        later=["પછી", "પછીથી"],
        question=["કેવી રીતે"],
        third=[
            "મારા મિત્ર", "મારી મિત્ર", "મારા સહકર્મી", "મારી પત્ની", "મારા પતિ", "મારા દીકરા", "મારી દીકરી",
            "મારા ભાઈ", "મારી બહેન", "મારા પિતા", "તેમને", "તેને", "એમને",
        ],
        own=["મને", "મારું", "મારો", "મારી", "મારા", "હું"],
        topic=["મેઇલિંગ લિસ્ટ*", "યાદી*"],
        name=["ન્યૂઝલેટર*", "ન્યુઝલેટર*"],
        feedback=["ખૂબ સરસ", "આભાર"],
        other=["કાર્યક્રમ", "સેમિનાર", "વેબિનાર"],
    )),
    "Kannada": _suffixed(_table(
        subscribe=[
            "ಸೇರಿಸಿ", "ಸೇರಿಸಿಕೊಳ್ಳಿ", "ಸೇರಿಸಬೇಕು", "ಪಡೆಯಲು ಬಯಸುತ್ತೇನೆ", "ಚಂದಾದಾರರಾಗಲು ಬಯಸುತ್ತೇನೆ",
            "ಸಬ್‌ಸ್ಕ್ರೈಬ್ ಮಾಡಿ",
        ],
        send=["ಕಳುಹಿಸಿ", "ಕಳಿಸಿ", "ಕಳುಹಿಸಿಕೊಡಿ"],
        unsubscribe=[
            "ತೆಗೆದುಹಾಕಿ", "ತೆಗೆದು ಹಾಕಿ", "ತೆಗೆಯಿರಿ", "ಕಳುಹಿಸಬೇಡಿ", "ಕಳಿಸಬೇಡಿ", "ಕಳುಹಿಸುವುದನ್ನು ನಿಲ್ಲಿಸಿ", "ನಿಲ್ಲಿಸಿ",
            "ಅನ್‌ಸಬ್‌ಸ್ಕ್ರೈಬ್*", "ಚಂದಾದಾರಿಕೆ ರದ್ದು",
        ],
        keep=["ಕಳುಹಿಸುತ್ತಿರಿ", "ತೆಗೆಯಬೇಡಿ"],
        frame=["ದಯವಿಟ್ಟು", "ಬಯಸುತ್ತೇನೆ", "ವಿನಂತಿ"],
        negation=["ಬೇಡ", "ಇಲ್ಲ"],
        condition=["ಒಂದು ವೇಳೆ"],
        later=["ನಂತರ", "ಆಮೇಲೆ"],
        question=["ಹೇಗೆ"],
        third=[
            "ನನ್ನ ಸ್ನೇಹಿತ", "ನನ್ನ ಗೆಳೆಯ", "ನನ್ನ ಗೆಳತಿ", "ನನ್ನ ಸಹೋದ್ಯೋಗಿ", "ನನ್ನ ಹೆಂಡತಿ", "ನನ್ನ ಪತ್ನಿ", "ನನ್ನ ಗಂಡ",
            "ನನ್ನ ಮಗ", "ನನ್ನ ಮಗಳು", "ನನ್ನ ತಂದೆ", "ಅವರನ್ನು", "ಅವನನ್ನು", "ಅವಳನ್ನು", "ಅವರಿಗೆ",
        ],
        own=["ನನ್ನನ್ನು", "ನನ್ನ", "ನನಗೆ", "ನಾನು"],
        topic=["ಮೇಲಿಂಗ್ ಲಿಸ್ಟ*", "ಪಟ್ಟಿ*", "ಚಂದಾ*"],
        name=["ಸುದ್ದಿಪತ್ರ*", "ನ್ಯೂಸ್‌ಲೆಟರ*"],
        feedback=["ಚೆನ್ನಾಗಿದೆ", "ಧನ್ಯವಾದ*"],
        other=["ಕಾರ್ಯಕ್ರಮ", "ವೆಬಿನಾರ್", "ಸದಸ್ಯತ್ವ"],
    )),
    "Malayalam": _suffixed(_table(
        subscribe=[
            "ചേർക്കുക", "ചേർക്കണം", "ചേർത്തു തരണം", "ചേർത്തുതരണം", "ചേർക്കാമോ", "ചേർക്കൂ", "ഉൾപ്പെടുത്തുക",
            "ഉൾപ്പെടുത്തണം", "ലഭിക്കാൻ ആഗ്രഹിക്കുന്നു", "സബ്സ്ക്രൈബ് ചെയ്യണം", "വരിക്കാരനാകാൻ ആഗ്രഹിക്കുന്നു",
        ],
        send=["അയക്കുക", "അയയ്ക്കുക", "അയച്ചു തരണം", "അയച്ചുതരണം", "അയക്കണം", "അയയ്ക്കണം"],
        unsubscribe=[
            "നീക്കം ചെയ്യുക", "നീക്കം ചെയ്യണം", "ഒഴിവാക്കുക", "ഒഴിവാക്കണം", "അയക്കരുത്", "അയയ്ക്കരുത്", "അയക്കേണ്ട",
            "അയക്കുന്നത് നിർത്തുക", "അയയ്ക്കുന്നത് നിർത്തുക", "നിർത്തുക", "നിർത്തണം", "അൺസബ്സ്ക്രൈബ്*",
        ],
        keep=["അയച്ചുകൊണ്ടിരിക്കുക", "ഒഴിവാക്കരുത്", "നീക്കം ചെയ്യരുത്"],
        frame=["ദയവായി", "അഭ്യർത്ഥിക്കുന്നു", "ആഗ്രഹിക്കുന്നു"],
        negation=["വേണ്ട", "ഇല്ല"],
        condition=["എങ്കിൽ", "ആണെങ്കിൽ"],
        later=["പിന്നീട്", "പിന്നെ"],
        question=["എങ്ങനെ"],
        third=[
            "എന്റെ സുഹൃത്ത്", "എന്റെ കൂട്ടുകാരൻ", "എന്റെ സഹപ്രവർത്തകൻ", "എന്റെ ഭാര്യ", "എന്റെ ഭർത്താവ്", "എന്റെ മകൻ",
            "എന്റെ മകൾ", "എന്റെ അച്ഛൻ", "അദ്ദേഹത്തെ", "അവരെ", "അവനെ", "അവളെ",
        ],
        own=["എന്നെ", "എന്റെ", "എനിക്ക്", "ഞാൻ"],
        topic=["മെയിലിംഗ് ലിസ്റ്റ*", "ലിസ്റ്റ*", "പട്ടിക*"],
        name=["ന്യൂസ്‌ലെറ്റര*", "വാർത്താക്കുറിപ്പ*"],
        feedback=["നന്നായിട്ടുണ്ട്", "നന്ദി"],
        other=["പരിപാടി", "സെമിനാർ", "വെബിനാർ", "അംഗത്വം"],
    )),
    "Punjabi": _table(
        subscribe=[
            "ਜੋੜ ਦਿਓ", "ਜੋੜੋ", "ਸ਼ਾਮਲ ਕਰੋ", "ਸ਼ਾਮਿਲ ਕਰੋ", "ਸ਼ਾਮਲ ਕਰ ਲਓ", "ਪ੍ਰਾਪਤ ਕਰਨਾ ਚਾਹੁੰਦਾ", "ਪ੍ਰਾਪਤ ਕਰਨਾ ਚਾਹੁੰਦੀ",
            "ਸਬਸਕ੍ਰਾਈਬ ਕਰਨਾ ਚਾਹੁੰਦਾ", "ਸਬਸਕ੍ਰਾਈਬ ਕਰਨਾ ਚਾਹੁੰਦੀ", "ਸਬਸਕ੍ਰਾਈਬ ਕਰੋ",
        ],
        send=["ਭੇਜੋ", "ਭੇਜ ਦਿਓ", "ਭੇਜਿਆ ਕਰੋ"],
        unsubscribe=[
            "ਹਟਾ ਦਿਓ", "ਹਟਾਓ", "ਕੱਢ ਦਿਓ", "ਨਾ ਭੇਜੋ", "ਮਤ ਭੇਜੋ", "ਭੇਜਣਾ ਬੰਦ ਕਰੋ", "ਬੰਦ ਕਰੋ", "ਬੰਦ ਕਰ ਦਿਓ",
            "ਅਨਸਬਸਕ੍ਰਾਈਬ*", "ਨਹੀਂ ਚਾਹੀਦਾ",
        ],
        keep=["ਭੇਜਦੇ ਰਹੋ", "ਨਾ ਹਟਾਓ"],
        frame=["ਕਿਰਪਾ ਕਰਕੇ", "ਕਿਰਪਾ", "ਬੇਨਤੀ", "ਚਾਹੁੰਦਾ", "ਚਾਹੁੰਦੀ"],
        negation=["ਨਹੀਂ", "ਨਾ", "ਮਤ"],
        condition=["ਜੇ", "ਜੇਕਰ", "ਅਗਰ"],
        later=["ਬਾਅਦ ਵਿੱਚ", "ਬਾਅਦ ਵਿਚ"],
        question=["ਕਿਵੇਂ"],
        third=[
            "ਮੇਰੇ ਦੋਸਤ", "ਮੇਰੀ ਦੋਸਤ", "ਮੇਰੇ ਸਾਥੀ", "ਮੇਰੀ ਪਤਨੀ", "ਮੇਰੇ ਪਤੀ", "ਮੇਰੇ ਪੁੱਤਰ", "ਮੇਰੀ ਧੀ", "ਮੇਰੇ ਭਰਾ",
            "ਮੇਰੀ ਭੈਣ", "ਉਨ੍ਹਾਂ ਨੂੰ", "ਉਸਨੂੰ", "ਉਸ ਨੂੰ",
        ],
        own=["ਮੈਨੂੰ", "ਮੇਰਾ", "ਮੇਰੀ", "ਮੇਰੇ", "ਮੈਂ"],
        topic=["ਮੇਲਿੰਗ ਲਿਸਟ", "ਸੂਚੀ", "ਲਿਸਟ"],
        name=["ਨਿਊਜ਼ਲੈਟਰ*", "ਨਿਊਜ਼ਲੇਟਰ*", "ਖ਼ਬਰਨਾਮਾ"],
        feedback=["ਧੰਨਵਾਦ", "ਬਹੁਤ ਵਧੀਆ"],
        other=["ਸਮਾਗਮ", "ਸੈਮੀਨਾਰ", "ਵੈਬੀਨਾਰ"],
    ),
    "French": _table(
        subscribe=[
            "abonnez-moi", "inscrivez-moi", "ajoutez-moi", "je voudrais m'abonner", "je souhaite m'abonner",
            "je veux m'abonner", "je souhaiterais m'abonner", "je voudrais recevoir", "je souhaite recevoir",
            "je souhaiterais recevoir", "merci de m'inscrire", "merci de m'ajouter", "je voudrais m'inscrire",
            "je souhaite m'inscrire",
        ],
        unsubscribe=[
            "désabonnez-moi", "désinscrivez-moi", "retirez-moi", "supprimez-moi", "me désabonner", "me désinscrire",
            "je ne souhaite plus recevoir", "je ne veux plus recevoir", "merci de me retirer",
            "merci de me désinscrire", "ne plus recevoir", "désabonnement", "désinscription",
        ],
        frame=["s'il vous plaît", "s'il vous plait", "svp", "merci de", "je voudrais", "je souhaite"],
        negation=["ne pas", "pas besoin", "ne veux pas", "ne souhaite pas"],
        condition=["si"],
        later=["plus tard", "peut-être"],
        question=["comment"],
        third=["mon collègue", "ma collègue", "mon ami", "mon amie", "ma femme", "mon mari"],
        topic=["liste de diffusion", "abonnement"],
        name=["lettre d'information", "infolettre"],
    ),
    "Spanish": _table(
        subscribe=[
            "quiero suscribirme", "me gustaría suscribirme", "deseo suscribirme", "quisiera suscribirme",
            "quisiera recibir", "quiero recibir", "deseo recibir", "me gustaría recibir", "darme de alta",
            "suscríbanme", "inscríbanme", "agréguenme", "por favor suscribirme",
        ],
        unsubscribe=[
            "darme de baja", "dar de baja", "denme de baja", "cancelar mi suscripción", "no quiero recibir",
            "ya no quiero recibir", "ya no deseo recibir", "elimínenme", "quiero desuscribirme", "desuscribirme",
            "anular la suscripción", "eliminen mi correo",
        ],
        frame=["por favor", "quisiera", "me gustaría"],
        negation=["no quiero", "no deseo", "no necesito"],
        condition=["si"],
        later=["más tarde", "quizás", "tal vez"],
        question=["cómo"],
        third=["mi colega", "mi amigo", "mi amiga", "mi esposa", "mi esposo"],
        topic=["lista de correo", "suscripción"],
        name=["boletín"],
    ),
    "Portuguese": _table(
        subscribe=[
            "quero assinar", "gostaria de assinar", "gostaria de receber", "quero receber", "me inscrever",
            "inscreva-me", "cadastrar meu e-mail", "quero me inscrever", "gostaria de me inscrever",
        ],
        unsubscribe=[
            "cancelar a inscrição", "cancelar minha inscrição", "descadastrar", "me descadastre", "remover meu e-mail",
            "não quero mais receber", "não quero receber", "cancelar assinatura", "cancelar a assinatura",
        ],
        frame=["por favor", "gostaria"],
        negation=["não"],
        later=["mais tarde", "talvez"],
        third=["meu colega", "minha colega", "meu amigo", "minha amiga", "minha esposa", "meu marido"],
        topic=["lista de e-mails", "assinatura", "inscrição"],
        name=["boletim informativo"],
    ),
    "German": _table(
        subscribe=[
            "abonnieren", "möchte den newsletter erhalten", "nehmen sie mich in", "nehmen sie mich auf",
            "tragen sie mich in", "tragen sie mich ein", "anmelden", "möchte ihn erhalten",
        ],
        unsubscribe=[
            "abbestellen", "abmelden", "austragen", "entfernen sie mich", "nehmen sie mich aus", "tragen sie mich aus",
            "streichen sie mich", "keine e-mails mehr",
            "keinen newsletter mehr", "nicht mehr erhalten", "nicht mehr zusenden", "kündigen",
        ],
        frame=["bitte", "ich möchte", "ich würde gerne"],
        negation=["nicht", "kein", "keine"],
        condition=["wenn", "falls"],
        later=["später", "vielleicht"],
        question=["wie kann"],
        third=["mein kollege", "meine kollegin", "mein freund", "meine freundin", "meine frau", "mein mann"],
        topic=["verteiler", "mailingliste", "abonnement"],
        name=["rundbrief"],
    ),
    "Italian": _table(
        subscribe=["vorrei iscrivermi", "iscrivermi", "vorrei ricevere", "desidero ricevere", "iscrivetemi"],
        unsubscribe=[
            "disiscrivermi", "cancellarmi", "cancellatemi", "non voglio più ricevere", "rimuovetemi",
            "annullare l'iscrizione",
        ],
        frame=["per favore", "vorrei"],
        negation=["non voglio", "non desidero"],
        third=["il mio collega", "la mia collega", "mio marito", "mia moglie"],
        topic=["iscrizione"],
    ),
    "Russian": _table(
        subscribe=[
            "подпишите меня", "хочу подписаться", "прошу подписать", "подписаться", "добавьте меня",
            "хотел бы получать", "хотела бы получать", "хочу получать",
        ],
        unsubscribe=[
            "отпишите меня", "хочу отписаться", "отписаться", "удалите меня", "не присылайте", "больше не присылайте",
            "не хочу получать", "отказаться от рассылки", "отписка",
        ],
        frame=["пожалуйста", "прошу", "хочу"],
        negation=["не", "нет"],
        condition=["если"],
        later=["позже", "может быть"],
        question=["как"],
        third=["мой коллега", "моя коллега", "мой друг", "моя жена", "мой муж"],
        topic=["рассылка", "рассылку", "подписка", "подписку"],
    ),
    "Chinese": _table(
        subscribe=["*订阅*", "*訂閱*", "*请加我*", "*請加我*", "*把我加入*"],
        unsubscribe=[
            "*退订*", "*退訂*", "*取消订阅*", "*取消訂閱*", "*不要再发*", "*不要再發*", "*别再发*", "*請把我刪除*",
            "*请把我删除*",
        ],
        frame=["*请*", "*請*", "*我想*", "*我要*"],
        negation=["*不想*", "*没有*", "*沒有*"],
        condition=["*如果*"],
        later=["*以后*", "*以後*"],
        third=["*我的同事*", "*我的朋友*", "*我太太*", "*我丈夫*"],
        topic=["*邮件列表*", "*郵件列表*"],
        name=["*简报*", "*簡報*", "*通讯*", "*電子報*"],
    ),
    "Japanese": _table(
        subscribe=["*購読したい*", "*購読を希望*", "*購読をお願い*", "*登録してください*", "*登録をお願い*"],
        unsubscribe=["*購読を解除*", "*購読解除*", "*配信停止*", "*配信を停止*", "*登録解除*", "*解除してください*"],
        condition=["*もし*"],
        name=["*ニュースレター*", "*メールマガジン*", "*メルマガ*"],
    ),
    "Arabic": _table(
        subscribe=["أرغب في الاشتراك", "أريد الاشتراك", "أود الاشتراك", "أضيفوني", "الرجاء إضافتي", "يرجى إضافتي"],
        unsubscribe=[
            "إلغاء الاشتراك", "الغاء الاشتراك", "أرجو إزالتي", "يرجى إزالتي", "لا أريد استلام", "أوقفوا الإرسال",
        ],
        frame=["الرجاء", "يرجى", "أرجو", "من فضلك"],
        negation=["لا", "لم"],
        condition=["إذا", "لو"],
        topic=["القائمة البريدية", "الاشتراك"],
        name=["النشرة الإخبارية", "النشرة البريدية"],
    ),
    "Indonesian": _table(
        subscribe=["saya ingin berlangganan", "mau berlangganan", "daftarkan saya", "tambahkan saya"],
        unsubscribe=["berhenti berlangganan", "hapus saya", "jangan kirim"],
        frame=["tolong", "mohon"],
        negation=["tidak", "tak"],
        condition=["jika", "kalau"],
    ),
}
# fmt: on
