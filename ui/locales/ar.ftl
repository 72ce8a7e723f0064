# Paraakh Secure Exam: كل ما يقرؤه المتقدّم للامتحان، بالعربية.
#
# رسالة واحدة في كل سطر أو كتلة: `id = النص`. ما بين { } يملؤه التطبيق:
# { $name } قيمة (أبقِها وضعها حيث تقتضي الجملة)؛
# { $count -> [one] … *[other] … } يختار الصيغة بحسب العدد. لا تغيّر
# المعرّفات؛ ترجم النص فقط. انظر docs/app.md.

app-name = Paraakh Secure Exam
time-unknown = وقت غير معروف

## الوقت

duration-hours = { $hours ->
    [zero] { $hours } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $hours } ساعات
   *[other] { $hours } ساعة
}
duration-minutes = { $minutes ->
    [zero] { $minutes } دقيقة
    [one] دقيقة واحدة
    [two] دقيقتان
    [few] { $minutes } دقائق
   *[other] { $minutes } دقيقة
}
duration-hours-minutes = { $hours } و{ $minutes }
duration-with-extra = { $total } ({ $base } مع { $percent }٪ وقتًا إضافيًا)
timer-left = الوقت المتبقي { $clock }
timer-announce = { $minutes ->
    [one] بقيت دقيقة واحدة. تُحفَظ إجاباتك أولًا بأول.
    [two] بقيت دقيقتان.
    [few] بقيت { $minutes } دقائق.
   *[other] بقيت { $minutes } دقيقة.
}

## الانضمام

join-title = انضم إلى امتحانك — { app-name }
join-heading = انضم إلى امتحانك
join-welcome = مرحبًا بك في { app-name }. لنجهّزك للامتحان.
join-card-heading = امتحانك
join-card-hint = أدخل رمز البدء الذي أعطاك إياه المراقب، أو الصق رابط الانضمام الذي أُرسل إليك.
join-organiser = الجهة المنظِّمة
join-time-allowed = الوقت المتاح
join-open = متاح
join-open-window = من { $from } إلى { $to }
join-questions = الأسئلة
join-code-label = رمز البدء من المراقب
join-code-hint = يبدو هكذا: ABCD-EFGH-JKMN. لا فرق بين الأحرف الكبيرة والصغيرة.
join-unlock = افتح الامتحان
join-unlocking = جارٍ الفتح…
join-link-label = أو الصق رابط الانضمام
join-link-open = افتح الرابط
join-link-opening = جارٍ الفتح…
join-continue = تابع إلى فحص الجهاز
join-already-unlocked = هذا الامتحان مفتوح بالفعل.
join-code-missing = يُرجى كتابة رمز البدء الذي أعطاك إياه المراقب.
join-link-missing = يُرجى لصق رابط الانضمام أولًا.
join-waiting = انضممت إلى «{ $title }». يُفتح في الساعة { $time }. أبقِ هذه النافذة مفتوحة: ستتابع من تلقاء نفسها عند فتح الامتحان.
join-found = وُجد «{ $title }». اكتب الآن رمز البدء من المراقب لفتحه.
join-language = اللغة

## الامتحان متوقف بسبب لوحة مفاتيح أو فأرة جديدة

held-heading = الامتحان متوقف مؤقتًا
held-devices = وُصلت لوحة مفاتيح أو فأرة أثناء الامتحان: { $devices }.
held-unnamed = جهاز بلا اسم
held-explain = يُرجى استدعاء المراقب. إجاباتك حتى الآن محفوظة، ولا يمكن الإجابة أو التسليم حتى يؤكد المراقب الجهاز الجديد.
held-code-label = رمز المراقب
held-confirm = تأكيد
held-confirming = جارٍ التأكيد…
held-released = أكّد المراقب الجهاز الجديد. يستمر الامتحان.

## الإيصال

receipt-title = سُلِّم الامتحان — { app-name }
receipt-heading = سُلِّم امتحانك
receipt-time-up = انتهى الوقت، فسُلِّمت إجاباتك تلقائيًا. كل ما حفظته مشمول.
receipt-ended = انتهى الامتحان. كل ما حفظته مشمول.
receipt-thanks = شكرًا لك. لا حاجة إلى أي إجراء آخر.
receipt-answered-label = الأسئلة المُجاب عنها
receipt-answered = { $answered } من { $total } أُجيب عنها
receipt-submitted-label = وقت التسليم
receipt-session-label = الجلسة
receipt-sending-heading = إرسال امتحانك
receipt-keep-session = احتفظ برقم الجلسة أعلاه في حال طلبه منظِّم الامتحان.
receipt-close = إغلاق
receipt-closing = جارٍ الإغلاق…
receipt-synced = وصلت إجاباتك وسجل الامتحان إلى { $tenant } وتم تأكيدها.
receipt-pending = حُفظ على هذا الجهاز؛ جارٍ الإرسال إلى { $tenant } — يمكنك ترك هذه النافذة مفتوحة.
receipt-offline = حُفظ بأمان على هذا الجهاز، وسيُرسل عند اتصالك بالإنترنت.
receipt-tenant-unknown = منظِّم امتحانك

## تعذّر البدء، نافذة المراقب، التنبيهات

trouble-title = تعذّر البدء — { app-name }
trouble-heading = تعذّر تجهيز { app-name }
trouble-nothing-lost = لم يضِع شيء. يُرجى المحاولة مرة أخرى؛ وإن تكرر ذلك فأخبر المراقب.
error-generic = حدث خطأ ما. يُرجى المحاولة مرة أخرى.
try-again = حاول مرة أخرى
proctor-heading = المراقب
proctor-only = للمراقب فقط.
proctor-code-label = رمز المراقب
proctor-reason-label = السبب
proctor-unlock = فتح القفل
proctor-unlocking = جارٍ فتح القفل…
proctor-cancel = إلغاء
proctor-code-missing = يُرجى كتابة رمز المراقب.
proctor-accepted = قُبل رمز المراقب.
banner-dismiss = إخفاء
contrast-toggle = تباين عالٍ
monitor-camera = الكاميرا
monitor-microphone = الميكروفون
monitor-screen = تسجيل الشاشة
monitor-processes = فحص البرامج الأخرى
monitor-displays = فحص الشاشات الأخرى
monitor-detection = فحص الوجه والصوت
monitor-face-detection = فحص الوجه
monitor-voice-detection = فحص الصوت
monitor-unknown = أحد فحوص الامتحان
trouble-not-working = { $count ->
    [one] { $parts } لا يعمل الآن — يستمر الامتحان؛ يُرجى إخبار المراقب.
   *[other] { $parts } لا تعمل الآن — يستمر الامتحان؛ يُرجى إخبار المراقب.
}
save-saving = جارٍ الحفظ…
save-saved = حُفظ في { $time }
save-retrying = لم يُحفظ بعد — تجري المحاولة من جديد

## الموافقة

consent-title = خصوصيتك — { app-name }
consent-heading = قبل أن تبدأ: خصوصيتك
consent-loading = جارٍ تحميل الشروط…
consent-load-failed = تعذّر تحميل الشروط. { $reason }
consent-lead = تستخدم { $tenant } برنامج { app-name } لمراقبة «{ $exam }». إليك بالضبط ما يحدث أثناء أدائك الامتحان.
consent-captured-heading = ما الذي يُسجَّل
consent-captured-label = ما الذي يُسجَّل
consent-why-label = لماذا
consent-where-heading = إلى أين يذهب
consent-kept-heading = مدة الاحتفاظ به
consent-on-device-heading = ما يحدث على هذا الجهاز
consent-who-heading = من يقرّر
consent-person = لا يفعل البرنامج سوى تعليم لحظات ليطّلع عليها شخص. ولا يقرّر أي شيء بشأنك أبدًا. يراجع شخص من { $tenant } كل ما عُلِّم ويقرّر.
consent-agree = قرأت هذا وأوافق عليه
consent-start = ابدأ الامتحان
consent-starting = جارٍ البدء…
consent-decline = لا أوافق
declined-title = لم يبدأ — { app-name }
declined-heading = اخترت عدم الموافقة
declined-lead = لا بأس. لم يُسجَّل شيء ولم يُرسَل شيء.
declined-other-way = إن رغبت في أداء هذا الامتحان بطريقة أخرى فتواصل مع { $tenant }. ويمكنك أيضًا الرجوع وقراءة الشروط مرة أخرى.
declined-organiser-unknown = منظِّم الامتحان
declined-back = ارجع إلى الشروط

## الاستئناف

resume-title = استأنف امتحانك — { app-name }
resume-heading = مرحبًا بعودتك
resume-interrupted = انقطع امتحانك في { $time }. إجاباتك محفوظة.
resume-earlier = وقت سابق
resume-check-again = سنفحص جهازك مرة أخرى بسرعة، ثم تتابع من حيث توقفت.
resume-code-label = رمز المراقب
resume-code-hint = يُرجى طلب رمز من المراقب للمتابعة. هذا أمر معتاد بعد الانقطاع.
resume-code-missing = يُرجى كتابة رمز المراقب أولًا.
resume-button = استأنف الامتحان

## امتحان على موقع الجهة المنظِّمة

online-where = الأسئلة على موقع الجهة المنظِّمة، { $site }. يُفتح في هذه النافذة، ولا يمكن فتح سوى صفحات الامتحان نفسه.
online-time = ينتهي وقتك في { $time }. سلّم من صفحة الامتحان عند الانتهاء: عندها ينهي هذا التطبيق الامتحان ويعرض إيصالك. وعند انتهاء الوقت ينتهي من تلقاء نفسه.
online-open = افتح الامتحان
online-opening = جارٍ الفتح…
page-title = { $title } — { app-name }

## فحص الجهاز

check-title = فحص الجهاز — { app-name }
check-heading = افحص جهازك
check-lead-new = قبل بدء الامتحان نتحقق من أن جهازك والكاميرا والميكروفون جاهزة. يستغرق ذلك بضع ثوانٍ.
check-lead-resume = قبل أن تتابع نفحص جهازك مرة أخرى. يستغرق ذلك بضع ثوانٍ.
check-status-ok = جاهز
check-status-warning = راجع هذا
check-status-blocking = يلزم إجراء
check-how-to-fix = طريقة الإصلاح: { $fix }
check-done-blocking = { $count ->
    [one] انتهى الفحص. يلزم إجراء في بند واحد قبل أن تبدأ.
    [two] انتهى الفحص. يلزم إجراء في بندين قبل أن تبدأ.
    [few] انتهى الفحص. يلزم إجراء في { $count } بنود قبل أن تبدأ.
   *[other] انتهى الفحص. يلزم إجراء في { $count } بندًا قبل أن تبدأ.
}
check-done-warning = { $count ->
    [one] انتهى الفحص. يمكنك البدء. يستحق بند واحد نظرة.
    [two] انتهى الفحص. يمكنك البدء. يستحق بندان نظرة.
    [few] انتهى الفحص. يمكنك البدء. تستحق { $count } بنود نظرة.
   *[other] انتهى الفحص. يمكنك البدء. يستحق { $count } بندًا نظرة.
}
check-done-ok = انتهى الفحص. كل شيء جاهز.
check-computer-heading = جهازك
check-camera-heading = الكاميرا
check-camera-picture = صورة الكاميرا
check-camera-starting = جارٍ تشغيل الكاميرا…
check-microphone-heading = الميكروفون
check-microphone-level = مستوى الميكروفون
check-microphone-hint = قل بضع كلمات: يجب أن يتحرك الشريط.
check-again = افحص مرة أخرى
check-checking = جارٍ الفحص…
check-continue = متابعة
check-wait = يُرجى الانتظار ريثما نفحص جهازك.
check-running = جارٍ فحص جهازك… يستغرق ذلك بضع ثوانٍ.
check-unfinished = لم يكتمل الفحص. يُرجى اختيار «افحص مرة أخرى».
check-fix-first = يمكنك المتابعة بعد إصلاح البنود المعلَّمة بـ«يلزم إجراء». أصلحها ثم اختر «افحص مرة أخرى».
check-opening = جارٍ فتح امتحانك…

## الامتحان

exam-points = { $points ->
    [zero] { $points } درجة
    [one] درجة واحدة
    [two] درجتان
    [few] { $points } درجات
   *[other] { $points } درجة
}
exam-extra-time = يشمل { $percent }٪ وقتًا إضافيًا
exam-instructions = التعليمات
exam-instructions-default = أجب عن الأسئلة. تُحفَظ إجاباتك أولًا بأول.
exam-questions = الأسئلة
exam-nav-legend = ✓ مُجاب  ⚑ معلَّم
exam-nav-question = السؤال { $number }
exam-nav-answered = السؤال { $number }، مُجاب
exam-nav-not-answered = السؤال { $number }، غير مُجاب
exam-nav-answered-flagged = السؤال { $number }، مُجاب، معلَّم للمراجعة
exam-nav-not-answered-flagged = السؤال { $number }، غير مُجاب، معلَّم للمراجعة
exam-previous = → السابق
exam-next = التالي ←
exam-submit-open = سلّم الامتحان…
exam-finish-hint = عند الانتهاء سلّم امتحانك. يمكنك مراجعة إجاباتك أولًا.
exam-resumed = مرحبًا بعودتك. استُعيدت إجاباتك المحفوظة أدناه.
exam-question-of = السؤال { $number } من { $total }
exam-choose-one = اختر إجابة واحدة
exam-choose-all = اختر كل ما ينطبق
exam-your-answer = إجابتك
exam-flag = علِّم للمراجعة
exam-flagged = معلَّم للمراجعة
exam-time-up = انتهى الوقت. تُسلَّم إجاباتك نيابةً عنك…
exam-ended = انتهى الامتحان. تُحفَظ إجاباتك بأمان…
exam-saved-here = إجاباتك محفوظة على هذا الجهاز.
exam-words = { $words ->
    [zero] { $words } كلمة
    [one] كلمة واحدة
    [two] كلمتان
    [few] { $words } كلمات
   *[other] { $words } كلمة
}
exam-words-of = { $words } من { $max } كلمة
exam-words-over = { $over ->
    [one] تجاوزت الحد ({ $max }) بكلمة واحدة. نصّك محفوظ؛ يُرجى اختصاره إن أمكن.
    [two] تجاوزت الحد ({ $max }) بكلمتين. نصّك محفوظ؛ يُرجى اختصاره إن أمكن.
    [few] تجاوزت الحد ({ $max }) بـ{ $over } كلمات. نصّك محفوظ؛ يُرجى اختصاره إن أمكن.
   *[other] تجاوزت الحد ({ $max }) بـ{ $over } كلمة. نصّك محفوظ؛ يُرجى اختصاره إن أمكن.
}
exam-chars = { $chars ->
    [zero] { $chars } حرف
    [one] حرف واحد
    [two] حرفان
    [few] { $chars } أحرف
   *[other] { $chars } حرفًا
}
exam-chars-of = { $chars } من { $max } حرف
exam-chars-limit = { $chars } من { $max } حرف — بلغت الحد
submit-heading = هل تسلّم امتحانك؟
submit-summary = أجبت عن { $answered } من { $total } سؤال.
submit-not-answered = لم تُجب عنها بعد
submit-all-answered = لكل سؤال إجابة.
submit-flagged = معلَّمة للمراجعة
submit-none-flagged = لا توجد أسئلة معلَّمة.
submit-final = بعد التسليم لا يمكنك تغيير إجاباتك.
submit-now = سلّم الآن
submit-keep-working = تابع العمل
submit-submitting = جارٍ التسليم…
submit-not-saved = بعض الإجابات لم تُحفظ بعد. يُرجى الانتظار قليلًا ثم المحاولة مرة أخرى.
