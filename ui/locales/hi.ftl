# Paraakh Secure Exam: परीक्षार्थी जो कुछ भी पढ़ता है, हिन्दी में।
#
# हर संदेश एक पंक्ति या खंड में: `id = पाठ`। { } के भीतर का मान ऐप भरता
# है: { $name } एक मान है (इसे रखें, वाक्य में जहाँ ठीक लगे वहाँ रखें);
# { $count -> [one] … *[other] … } संख्या के अनुसार रूप चुनता है। id न बदलें,
# केवल पाठ का अनुवाद करें। देखें docs/app.md।

app-name = Paraakh Secure Exam
time-unknown = अज्ञात समय

## समय

duration-hours = { $hours ->
    [one] { $hours } घंटा
   *[other] { $hours } घंटे
}
duration-minutes = { $minutes ->
    [one] { $minutes } मिनट
   *[other] { $minutes } मिनट
}
duration-hours-minutes = { $hours } { $minutes }
duration-with-extra = { $total } ({ $base } और { $percent } % अतिरिक्त समय)
timer-left = शेष समय { $clock }
timer-announce = { $minutes ->
    [one] 1 मिनट शेष। आपके उत्तर साथ-साथ सहेजे जा रहे हैं।
   *[other] { $minutes } मिनट शेष।
}

## परीक्षा में शामिल हों

join-title = अपनी परीक्षा में शामिल हों — { app-name }
join-heading = अपनी परीक्षा में शामिल हों
join-welcome = { app-name } में आपका स्वागत है। आइए आपको तैयार करें।
join-card-heading = आपकी परीक्षा
join-card-hint = अपने निरीक्षक से मिला प्रारंभ कोड लिखें, या आपको भेजा गया जुड़ने का लिंक चिपकाएँ।
join-organiser = आयोजक
join-time-allowed = दिया गया समय
join-open = खुली रहेगी
join-open-window = { $from } से { $to } तक
join-questions = प्रश्न
join-code-label = निरीक्षक से मिला प्रारंभ कोड
join-code-hint = यह ABCD-EFGH-JKMN जैसा दिखता है। बड़े या छोटे अक्षर, दोनों चलेंगे।
join-unlock = परीक्षा खोलें
join-unlocking = खोली जा रही है…
join-link-label = या अपना जुड़ने का लिंक चिपकाएँ
join-link-open = लिंक खोलें
join-link-opening = खोला जा रहा है…
join-continue = सिस्टम जाँच पर आगे बढ़ें
join-already-unlocked = यह परीक्षा पहले से खुली है।
join-code-missing = कृपया निरीक्षक से मिला प्रारंभ कोड लिखें।
join-link-missing = कृपया पहले जुड़ने का लिंक चिपकाएँ।
join-waiting = आप “{ $title }” में शामिल हो गए हैं। यह { $time } पर खुलेगी। यह विंडो खुली रखें: परीक्षा खुलते ही यह अपने-आप आगे बढ़ेगी।
join-found = “{ $title }” मिल गई। इसे खोलने के लिए अब निरीक्षक से मिला प्रारंभ कोड लिखें।
join-language = भाषा

## नए कीबोर्ड या माउस के कारण रुकी परीक्षा

held-heading = परीक्षा रुकी हुई है
held-devices = परीक्षा के दौरान एक कीबोर्ड या माउस जोड़ा गया: { $devices }।
held-unnamed = बिना नाम का उपकरण
held-explain = कृपया अपने निरीक्षक को बुलाएँ। अब तक के आपके उत्तर सहेजे गए हैं; जब तक निरीक्षक नए उपकरण की पुष्टि नहीं करते, न कोई उत्तर दिया जा सकता है न परीक्षा जमा की जा सकती है।
held-code-label = निरीक्षक कोड
held-confirm = पुष्टि करें
held-confirming = पुष्टि हो रही है…
held-released = निरीक्षक ने नए उपकरण की पुष्टि कर दी। परीक्षा जारी है।

## रसीद

receipt-title = परीक्षा जमा हो गई — { app-name }
receipt-heading = आपकी परीक्षा जमा हो गई
receipt-time-up = समय समाप्त हो गया, इसलिए आपके उत्तर अपने-आप जमा कर दिए गए। आपने जो कुछ सहेजा था, सब शामिल है।
receipt-ended = परीक्षा समाप्त हो गई है। आपने जो कुछ सहेजा था, सब शामिल है।
receipt-thanks = धन्यवाद। आपको और कुछ करने की ज़रूरत नहीं है।
receipt-answered-label = उत्तर दिए
receipt-answered = { $total } में से { $answered } प्रश्नों के उत्तर दिए गए
receipt-submitted-label = जमा किया गया
receipt-session-label = सत्र
receipt-sending-heading = आपकी परीक्षा भेजी जा रही है
receipt-keep-session = ऊपर दिया सत्र क्रमांक सँभालकर रखें, आयोजक पूछ सकते हैं।
receipt-close = बंद करें
receipt-closing = बंद हो रहा है…
receipt-synced = आपके उत्तर और परीक्षा का रिकॉर्ड { $tenant } तक पहुँच गए और उनकी पुष्टि हो गई।
receipt-pending = इस कंप्यूटर पर सहेजा गया; { $tenant } को भेजा जा रहा है — आप इसे खुला छोड़ सकते हैं।
receipt-offline = इस कंप्यूटर पर सुरक्षित रूप से सहेजा गया; ऑनलाइन होने पर भेज दिया जाएगा।
receipt-tenant-unknown = आपके परीक्षा आयोजक

## शुरू करने में समस्या, निरीक्षक का संवाद, चेतावनियाँ

trouble-title = शुरू करने में समस्या — { app-name }
trouble-heading = { app-name } तैयार नहीं हो सका
trouble-nothing-lost = कुछ भी नहीं खोया। कृपया फिर से कोशिश करें; अगर ऐसा बार-बार हो, तो अपने निरीक्षक को बताएँ।
error-generic = कुछ गड़बड़ हो गई। कृपया फिर से कोशिश करें।
try-again = फिर से कोशिश करें
proctor-heading = निरीक्षक
proctor-only = केवल निरीक्षक के लिए।
proctor-code-label = निरीक्षक कोड
proctor-reason-label = कारण
proctor-unlock = अनलॉक करें
proctor-unlocking = अनलॉक हो रहा है…
proctor-cancel = रद्द करें
proctor-code-missing = कृपया निरीक्षक कोड लिखें।
proctor-accepted = निरीक्षक कोड स्वीकार हो गया।
banner-dismiss = हटाएँ
contrast-toggle = उच्च कंट्रास्ट
monitor-camera = आपका कैमरा
monitor-microphone = आपका माइक्रोफ़ोन
monitor-screen = स्क्रीन की रिकॉर्डिंग
monitor-processes = दूसरे प्रोग्रामों की जाँच
monitor-displays = दूसरी स्क्रीनों की जाँच
monitor-detection = चेहरे और आवाज़ की जाँच
monitor-face-detection = चेहरे की जाँच
monitor-voice-detection = आवाज़ की जाँच
monitor-unknown = परीक्षा की कोई एक जाँच
trouble-not-working = { $count ->
    [one] { $parts } अभी काम नहीं कर रहा है — परीक्षा जारी है; कृपया अपने निरीक्षक को बताएँ।
   *[other] { $parts } अभी काम नहीं कर रहे हैं — परीक्षा जारी है; कृपया अपने निरीक्षक को बताएँ।
}
save-saving = सहेजा जा रहा है…
save-saved = { $time } पर सहेजा गया
save-retrying = अभी सहेजा नहीं गया — फिर से कोशिश हो रही है

## सहमति

consent-title = आपकी निजता — { app-name }
consent-heading = शुरू करने से पहले: आपकी निजता
consent-loading = शर्तें लोड हो रही हैं…
consent-load-failed = शर्तें लोड नहीं हो सकीं। { $reason }
consent-lead = { $tenant } “{ $exam }” की निगरानी के लिए { app-name } का उपयोग करता है। परीक्षा देते समय ठीक-ठीक क्या होता है, यह नीचे लिखा है।
consent-captured-heading = क्या रिकॉर्ड होता है
consent-captured-label = क्या रिकॉर्ड होता है
consent-why-label = क्यों
consent-where-heading = यह कहाँ जाता है
consent-kept-heading = यह कितने समय तक रखा जाता है
consent-on-device-heading = इस कंप्यूटर पर क्या होता है
consent-who-heading = निर्णय कौन लेता है
consent-person = सॉफ़्टवेयर केवल ऐसे पलों को चिह्नित करता है जिन्हें कोई व्यक्ति देखे। यह आपके बारे में कभी कोई निर्णय नहीं लेता। { $tenant } का एक व्यक्ति चिह्नित बातों की समीक्षा करके निर्णय लेता है।
consent-agree = मैंने इसे पढ़ लिया है और मैं सहमत हूँ
consent-start = परीक्षा शुरू करें
consent-starting = शुरू हो रही है…
consent-decline = मैं सहमत नहीं हूँ
declined-title = शुरू नहीं हुई — { app-name }
declined-heading = आपने सहमति न देने का चुनाव किया
declined-lead = कोई बात नहीं। न कुछ रिकॉर्ड हुआ, न कुछ भेजा गया।
declined-other-way = अगर आप यह परीक्षा किसी और तरीके से देना चाहते हैं, तो कृपया { $tenant } से संपर्क करें। आप वापस जाकर शर्तें फिर से पढ़ भी सकते हैं।
declined-organiser-unknown = परीक्षा आयोजक
declined-back = शर्तों पर वापस जाएँ

## फिर से शुरू करें

resume-title = अपनी परीक्षा फिर से शुरू करें — { app-name }
resume-heading = फिर से स्वागत है
resume-interrupted = आपकी परीक्षा { $time } पर रुक गई थी। आपके उत्तर सहेजे हुए हैं।
resume-earlier = पहले किसी समय
resume-check-again = हम आपके कंप्यूटर की जल्दी से फिर जाँच करेंगे, फिर आप वहीं से आगे बढ़ सकेंगे जहाँ छोड़ा था।
resume-code-label = निरीक्षक कोड
resume-code-hint = आगे बढ़ने के लिए कृपया अपने निरीक्षक से कोड माँगें। किसी रुकावट के बाद ऐसा होना सामान्य है।
resume-code-missing = कृपया पहले निरीक्षक कोड लिखें।
resume-button = परीक्षा फिर से शुरू करें

## आयोजक की अपनी साइट पर परीक्षा

online-where = प्रश्न आयोजक की साइट { $site } पर हैं। यह इसी विंडो में खुलती है; केवल परीक्षा के अपने पेज ही खोले जा सकते हैं।
online-time = आपका समय { $time } पर समाप्त होगा। पूरा होने पर परीक्षा के पेज पर ही जमा करें: तब यह ऐप परीक्षा समाप्त करके आपकी रसीद दिखाएगा। समय पूरा होने पर यह अपने-आप समाप्त हो जाएगी।
online-open = परीक्षा खोलें
online-opening = खोली जा रही है…
page-title = { $title } — { app-name }

## सिस्टम जाँच

check-title = सिस्टम जाँच — { app-name }
check-heading = अपने कंप्यूटर की जाँच करें
check-lead-new = परीक्षा शुरू होने से पहले हम जाँचते हैं कि आपका कंप्यूटर, कैमरा और माइक्रोफ़ोन तैयार हैं। इसमें कुछ सेकंड लगते हैं।
check-lead-resume = आगे बढ़ने से पहले हम आपके कंप्यूटर की फिर से जाँच करते हैं। इसमें कुछ सेकंड लगते हैं।
check-status-ok = तैयार
check-status-warning = इसे देखें
check-status-blocking = कार्रवाई ज़रूरी
check-how-to-fix = कैसे ठीक करें: { $fix }
check-done-blocking = { $count ->
    [one] जाँच पूरी हुई। शुरू करने से पहले 1 चीज़ पर कार्रवाई ज़रूरी है।
   *[other] जाँच पूरी हुई। शुरू करने से पहले { $count } चीज़ों पर कार्रवाई ज़रूरी है।
}
check-done-warning = { $count ->
    [one] जाँच पूरी हुई। आप शुरू कर सकते हैं। 1 चीज़ एक बार देख लें।
   *[other] जाँच पूरी हुई। आप शुरू कर सकते हैं। { $count } चीज़ें एक बार देख लें।
}
check-done-ok = जाँच पूरी हुई। सब कुछ तैयार है।
check-computer-heading = आपका कंप्यूटर
check-camera-heading = कैमरा
check-camera-picture = आपके कैमरे की तस्वीर
check-camera-starting = कैमरा शुरू हो रहा है…
check-microphone-heading = माइक्रोफ़ोन
check-microphone-level = माइक्रोफ़ोन का स्तर
check-microphone-hint = कुछ शब्द बोलें: पट्टी हिलनी चाहिए।
check-again = फिर से जाँचें
check-checking = जाँच हो रही है…
check-continue = आगे बढ़ें
check-wait = कृपया प्रतीक्षा करें, हम आपके कंप्यूटर की जाँच कर रहे हैं।
check-running = आपके कंप्यूटर की जाँच हो रही है… इसमें कुछ सेकंड लगते हैं।
check-unfinished = जाँच पूरी नहीं हुई। कृपया “फिर से जाँचें” चुनें।
check-fix-first = “कार्रवाई ज़रूरी” वाली चीज़ें ठीक होने के बाद ही आप आगे बढ़ सकते हैं। उन्हें ठीक करें, फिर “फिर से जाँचें” चुनें।
check-opening = आपकी परीक्षा खुल रही है…

## परीक्षा

exam-points = { $points ->
    [one] { $points } अंक
   *[other] { $points } अंक
}
exam-extra-time = इसमें { $percent } % अतिरिक्त समय शामिल है
exam-instructions = निर्देश
exam-instructions-default = प्रश्नों के उत्तर दें। आपके उत्तर साथ-साथ सहेजे जाते हैं।
exam-questions = प्रश्न
exam-nav-legend = ✓ उत्तर दिया  ⚑ चिह्नित
exam-nav-question = प्रश्न { $number }
exam-nav-answered = प्रश्न { $number }, उत्तर दिया गया
exam-nav-not-answered = प्रश्न { $number }, उत्तर नहीं दिया गया
exam-nav-answered-flagged = प्रश्न { $number }, उत्तर दिया गया, दोबारा देखने के लिए चिह्नित
exam-nav-not-answered-flagged = प्रश्न { $number }, उत्तर नहीं दिया गया, दोबारा देखने के लिए चिह्नित
exam-previous = ← पिछला
exam-next = अगला →
exam-submit-open = परीक्षा जमा करें…
exam-finish-hint = पूरा होने पर अपनी परीक्षा जमा करें। आप पहले अपने उत्तर देख सकते हैं।
exam-resumed = फिर से स्वागत है। आपके सहेजे गए उत्तर नीचे वापस आ गए हैं।
exam-question-of = प्रश्न { $number } / { $total }
exam-choose-one = एक उत्तर चुनें
exam-choose-all = जितने सही हों, सभी चुनें
exam-your-answer = आपका उत्तर
exam-flag = दोबारा देखने के लिए चिह्नित करें
exam-flagged = दोबारा देखने के लिए चिह्नित
exam-time-up = समय समाप्त। आपके उत्तर आपकी ओर से जमा किए जा रहे हैं…
exam-ended = परीक्षा समाप्त हो गई है। आपके उत्तर सुरक्षित रखे जा रहे हैं…
exam-saved-here = आपके उत्तर इस कंप्यूटर पर सहेजे गए हैं।
exam-words = { $words ->
    [one] { $words } शब्द
   *[other] { $words } शब्द
}
exam-words-of = { $max } में से { $words } शब्द
exam-words-over = { $over ->
    [one] { $max } की सीमा से { $over } शब्द अधिक। आपका पाठ रखा गया है; हो सके तो इसे छोटा करें।
   *[other] { $max } की सीमा से { $over } शब्द अधिक। आपका पाठ रखा गया है; हो सके तो इसे छोटा करें।
}
exam-chars = { $chars ->
    [one] { $chars } अक्षर
   *[other] { $chars } अक्षर
}
exam-chars-of = { $max } में से { $chars } अक्षर
exam-chars-limit = { $max } में से { $chars } अक्षर — सीमा पूरी
submit-heading = अपनी परीक्षा जमा करें?
submit-summary = आपने { $total } में से { $answered } प्रश्नों के उत्तर दिए हैं।
submit-not-answered = अभी उत्तर नहीं दिया
submit-all-answered = हर प्रश्न का उत्तर दिया गया है।
submit-flagged = दोबारा देखने के लिए चिह्नित
submit-none-flagged = कोई प्रश्न चिह्नित नहीं है।
submit-final = जमा करने के बाद आप अपने उत्तर नहीं बदल सकेंगे।
submit-now = अभी जमा करें
submit-keep-working = काम जारी रखें
submit-submitting = जमा हो रही है…
submit-not-saved = कुछ उत्तर अभी सहेजे नहीं गए हैं। कृपया थोड़ा रुककर फिर से कोशिश करें।
