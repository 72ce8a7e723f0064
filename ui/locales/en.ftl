# Paraakh Secure Exam: every word the candidate reads, in English.
#
# One message per line or block: `id = text`. Text in { } is filled in by
# the app: { $name } is a value (keep it, move it where your language wants
# it); { $count -> [one] … *[other] … } chooses a form by the number.
# Keep the ids; translate only the text. See docs/app.md, "Languages".

app-name = Paraakh Secure Exam
time-unknown = an unknown time

## Time

duration-hours = { $hours ->
    [one] { $hours } hour
   *[other] { $hours } hours
}
duration-minutes = { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
# "1 hour 30 minutes"
duration-hours-minutes = { $hours } { $minutes }
# "90 minutes (60 minutes plus 50 % extra time)"
duration-with-extra = { $total } ({ $base } plus { $percent } % extra time)
timer-left = Time left { $clock }
timer-announce = { $minutes ->
    [one] 1 minute left. Your answers are saved as you go.
   *[other] { $minutes } minutes left.
}

## Join

join-title = Join your exam — { app-name }
join-heading = Join your exam
join-welcome = Welcome to { app-name }. Let's get you ready.
join-card-heading = Your exam
join-card-hint = Enter the start code from your proctor, or paste the join link you were sent.
join-organiser = Organiser
join-time-allowed = Time allowed
join-open = Open
join-open-window = from { $from } to { $to }
join-questions = Questions
join-code-label = Start code from your proctor
join-code-hint = It looks like ABCD-EFGH-JKMN. Capital or small letters both work.
join-unlock = Unlock the exam
join-unlocking = Unlocking…
join-link-label = Or paste your join link
join-link-open = Open the link
join-link-opening = Opening…
join-continue = Continue to the system check
join-already-unlocked = This exam is already unlocked.
join-code-missing = Please type the start code your proctor gave you.
join-link-missing = Please paste the join link first.
join-waiting = You have joined “{ $title }”. It opens at { $time }. Keep this window open: it continues by itself when the exam opens.
join-found = Found “{ $title }”. Now type the start code from your proctor to unlock it.
join-language = Language

## The exam held for a new keyboard or mouse

held-heading = The exam is paused
held-devices = A keyboard or mouse was connected during the exam: { $devices }.
held-unnamed = an unnamed device
held-explain = Please call your proctor. Your answers so far are saved; nothing can be answered or submitted until the proctor confirms the new device.
held-code-label = Proctor code
held-confirm = Confirm
held-confirming = Confirming…
held-released = The proctor confirmed the new device. The exam goes on.

## Receipt

receipt-title = Exam submitted — { app-name }
receipt-heading = Your exam was submitted
receipt-time-up = Time was up, so your answers were submitted for you. Everything you saved is included.
receipt-ended = The exam has ended. Everything you saved is included.
receipt-thanks = Thank you. You do not need to do anything else.
receipt-answered-label = Answered
receipt-answered = { $answered } of { $total ->
    [one] { $total } question
   *[other] { $total } questions
} answered
receipt-submitted-label = Submitted
receipt-session-label = Session
receipt-sending-heading = Sending your exam
receipt-keep-session = Keep the session number above in case your exam organiser asks for it.
receipt-close = Close
receipt-closing = Closing…
receipt-synced = Your answers and the exam record reached { $tenant } and were confirmed.
receipt-pending = Saved on this computer; sending to { $tenant } — you can leave this open.
receipt-offline = Saved safely on this computer; it will be sent when you are online.
receipt-tenant-unknown = your exam organiser

## Trouble starting, the proctor's dialog, warnings

trouble-title = Trouble starting — { app-name }
trouble-heading = { app-name } could not get ready
trouble-nothing-lost = Nothing was lost. Please try again; if this keeps happening, tell your proctor.
error-generic = Something went wrong. Please try again.
try-again = Try again
proctor-heading = Proctor
proctor-only = For the proctor only.
proctor-code-label = Proctor code
proctor-reason-label = Reason
proctor-unlock = Unlock
proctor-unlocking = Unlocking…
proctor-cancel = Cancel
proctor-code-missing = Please type the proctor code.
proctor-accepted = The proctor code was accepted.
banner-dismiss = Dismiss
contrast-toggle = High contrast
# The part that stopped working, as it sits inside a sentence.
monitor-camera = your camera
monitor-microphone = your microphone
monitor-screen = the screen recording
monitor-processes = the check for other programs
monitor-displays = the check for other screens
monitor-detection = the face and voice checks
monitor-face-detection = the face check
monitor-voice-detection = the voice check
monitor-unknown = one of the exam's checks
# $parts: one or more of the above, joined as the language joins a list.
trouble-not-working = { $count ->
    [one] { $parts } isn't working right now — the exam goes on; please tell your proctor.
   *[other] { $parts } aren't working right now — the exam goes on; please tell your proctor.
}
save-saving = Saving…
save-saved = Saved at { $time }
save-retrying = Not saved yet — trying again

## Consent

consent-title = Your privacy — { app-name }
consent-heading = Before you start: your privacy
consent-loading = Loading the terms…
consent-load-failed = The terms could not be loaded. { $reason }
consent-lead = { $tenant } uses { app-name } to supervise “{ $exam }”. Here is exactly what happens while you take the exam.
consent-captured-heading = What is captured
consent-captured-label = What is captured
consent-why-label = Why
consent-where-heading = Where it goes
consent-kept-heading = How long it is kept
consent-on-device-heading = What happens on this computer
consent-who-heading = Who decides
consent-person = The software only marks moments for a person to look at. It never decides anything about you. A person at { $tenant } reviews anything marked and decides.
consent-agree = I have read this and agree
consent-start = Start the exam
consent-starting = Starting…
consent-decline = I do not agree
declined-title = Not started — { app-name }
declined-heading = You chose not to agree
declined-lead = That is fine. Nothing was recorded and nothing was sent.
declined-other-way = If you would like to take this exam another way, please contact { $tenant }. You can also go back and read the terms again.
declined-organiser-unknown = the exam organiser
declined-back = Go back to the terms

## Resume

resume-title = Resume your exam — { app-name }
resume-heading = Welcome back
resume-interrupted = Your exam was interrupted at { $time }. Your answers are saved.
resume-earlier = an earlier time
resume-check-again = We will quickly check your computer again, then you can carry on where you left off.
resume-code-label = Proctor code
resume-code-hint = Please ask your proctor for a code to continue. This is normal after an interruption.
resume-code-missing = Please type the proctor code first.
resume-button = Resume the exam

## An exam on the organiser's own site

online-where = The questions are on the organiser's site, { $site }. It opens in this window; only the exam's own pages can be opened.
online-time = Your time ends at { $time }. Submit on the exam page when you are done: this app then ends the exam and shows your receipt. When the time is up, it ends by itself.
online-open = Open the exam
online-opening = Opening…
page-title = { $title } — { app-name }

## System check

check-title = System check — { app-name }
check-heading = Check your computer
check-lead-new = Before the exam starts, we check that your computer, camera and microphone are ready. This takes a few seconds.
check-lead-resume = Before you carry on, we check your computer again. This takes a few seconds.
check-status-ok = Ready
check-status-warning = Check this
check-status-blocking = Needs action
check-how-to-fix = How to fix: { $fix }
check-done-blocking = { $count ->
    [one] Check finished. 1 item needs action before you can start.
   *[other] Check finished. { $count } items need action before you can start.
}
check-done-warning = { $count ->
    [one] Check finished. You can start. 1 item is worth a look.
   *[other] Check finished. You can start. { $count } items are worth a look.
}
check-done-ok = Check finished. Everything is ready.
check-computer-heading = Your computer
check-camera-heading = Camera
check-camera-picture = Your camera picture
check-camera-starting = Starting the camera…
check-microphone-heading = Microphone
check-microphone-level = Microphone level
check-microphone-hint = Say a few words: the bar should move.
check-again = Check again
check-checking = Checking…
check-continue = Continue
check-wait = Please wait while we check your computer.
check-running = Checking your computer… this takes a few seconds.
check-unfinished = The check did not finish. Please choose Check again.
check-fix-first = You can continue once the items marked “Needs action” are fixed. Fix them, then choose Check again.
check-opening = Opening your exam…

## The exam

exam-points = { $points ->
    [one] { $points } point
   *[other] { $points } points
}
exam-extra-time = Includes { $percent } % extra time
exam-instructions = Instructions
exam-instructions-default = Answer the questions. Your answers are saved as you go.
exam-questions = Questions
exam-nav-legend = ✓ answered  ⚑ flagged
exam-nav-question = Question { $number }
exam-nav-answered = Question { $number }, answered
exam-nav-not-answered = Question { $number }, not answered
exam-nav-answered-flagged = Question { $number }, answered, flagged for review
exam-nav-not-answered-flagged = Question { $number }, not answered, flagged for review
exam-previous = ← Previous
exam-next = Next →
exam-submit-open = Submit exam…
exam-finish-hint = When you have finished, submit your exam. You can review your answers first.
exam-resumed = Welcome back. Your saved answers are restored below.
exam-question-of = Question { $number } of { $total }
exam-choose-one = Choose one answer
exam-choose-all = Choose all that apply
exam-your-answer = Your answer
exam-flag = Flag for review
exam-flagged = Flagged for review
exam-time-up = Time is up. Your answers are being submitted for you…
exam-ended = The exam has ended. Your answers are being kept safe…
exam-saved-here = Your answers are saved on this computer.
exam-words = { $words ->
    [one] { $words } word
   *[other] { $words } words
}
exam-words-of = { $words } of { $max } words
exam-words-over = { $over ->
    [one] { $over } word over the limit of { $max }. Your text is kept; please shorten it if you can.
   *[other] { $over } words over the limit of { $max }. Your text is kept; please shorten it if you can.
}
exam-chars = { $chars ->
    [one] { $chars } character
   *[other] { $chars } characters
}
exam-chars-of = { $chars } of { $max } characters
exam-chars-limit = { $chars } of { $max } characters — limit reached
submit-heading = Submit your exam?
submit-summary = You have answered { $answered } of { $total } questions.
submit-not-answered = Not answered yet
submit-all-answered = Every question has an answer.
submit-flagged = Flagged for review
submit-none-flagged = No questions are flagged.
submit-final = After you submit, you cannot change your answers.
submit-now = Submit now
submit-keep-working = Keep working
submit-submitting = Submitting…
submit-not-saved = Some answers are not saved yet. Please wait a moment and try again.
