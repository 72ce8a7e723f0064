# Paraakh Secure Exam: cada palabra que lee el candidato, en español.
#
# Un mensaje por línea o bloque: `id = texto`. Lo que va entre { } lo pone
# la aplicación: { $nombre } es un valor (consérvalo y colócalo donde lo
# pida la frase); { $count -> [one] … *[other] … } elige la forma según el
# número. No cambies los ids; traduce solo el texto. Ver docs/app.md.

app-name = Paraakh Secure Exam
time-unknown = una hora desconocida

## Tiempo

duration-hours = { $hours ->
    [one] { $hours } hora
   *[other] { $hours } horas
}
duration-minutes = { $minutes ->
    [one] { $minutes } minuto
   *[other] { $minutes } minutos
}
duration-hours-minutes = { $hours } y { $minutes }
duration-with-extra = { $total } ({ $base } más un { $percent } % de tiempo adicional)
timer-left = Tiempo restante { $clock }
timer-announce = { $minutes ->
    [one] Queda 1 minuto. Tus respuestas se guardan mientras escribes.
   *[other] Quedan { $minutes } minutos.
}

## Unirse

join-title = Únete a tu examen — { app-name }
join-heading = Únete a tu examen
join-welcome = Te damos la bienvenida a { app-name }. Vamos a prepararlo todo.
join-card-heading = Tu examen
join-card-hint = Escribe el código de inicio que te dio tu supervisor o pega el enlace que recibiste.
join-organiser = Organizador
join-time-allowed = Tiempo disponible
join-open = Abierto
join-open-window = del { $from } al { $to }
join-questions = Preguntas
join-code-label = Código de inicio de tu supervisor
join-code-hint = Tiene la forma ABCD-EFGH-JKMN. Da igual si usas mayúsculas o minúsculas.
join-unlock = Desbloquear el examen
join-unlocking = Desbloqueando…
join-link-label = O pega tu enlace de acceso
join-link-open = Abrir el enlace
join-link-opening = Abriendo…
join-continue = Continuar a la comprobación del equipo
join-already-unlocked = Este examen ya está desbloqueado.
join-code-missing = Escribe el código de inicio que te dio tu supervisor.
join-link-missing = Primero pega el enlace de acceso.
join-waiting = Te has unido a «{ $title }». Se abre a las { $time }. Deja esta ventana abierta: continuará sola cuando se abra el examen.
join-found = Hemos encontrado «{ $title }». Ahora escribe el código de inicio de tu supervisor para desbloquearlo.
join-language = Idioma

## El examen en pausa por un teclado o ratón nuevo

held-heading = El examen está en pausa
held-devices = Se conectó un teclado o un ratón durante el examen: { $devices }.
held-unnamed = un dispositivo sin nombre
held-explain = Llama a tu supervisor. Tus respuestas están guardadas; no se puede responder ni entregar nada hasta que el supervisor confirme el dispositivo nuevo.
held-code-label = Código del supervisor
held-confirm = Confirmar
held-confirming = Confirmando…
held-released = El supervisor confirmó el dispositivo nuevo. El examen continúa.

## Comprobante

receipt-title = Examen entregado — { app-name }
receipt-heading = Tu examen se ha entregado
receipt-time-up = Se acabó el tiempo, así que tus respuestas se entregaron automáticamente. Está incluido todo lo que guardaste.
receipt-ended = El examen ha terminado. Está incluido todo lo que guardaste.
receipt-thanks = Gracias. No tienes que hacer nada más.
receipt-answered-label = Respondidas
receipt-answered = { $answered } de { $total ->
    [one] { $total } pregunta respondida
   *[other] { $total } preguntas respondidas
}
receipt-submitted-label = Entregado
receipt-session-label = Sesión
receipt-sending-heading = Envío de tu examen
receipt-keep-session = Guarda el número de sesión de arriba por si el organizador te lo pide.
receipt-close = Cerrar
receipt-closing = Cerrando…
receipt-synced = Tus respuestas y el registro del examen llegaron a { $tenant } y se confirmaron.
receipt-pending = Guardado en este equipo; enviando a { $tenant }. Puedes dejar esto abierto.
receipt-offline = Guardado de forma segura en este equipo; se enviará cuando tengas conexión.
receipt-tenant-unknown = el organizador de tu examen

## Problemas al empezar, el diálogo del supervisor, avisos

trouble-title = Problema al empezar — { app-name }
trouble-heading = { app-name } no pudo prepararse
trouble-nothing-lost = No se ha perdido nada. Inténtalo de nuevo; si vuelve a pasar, avisa a tu supervisor.
error-generic = Algo salió mal. Inténtalo de nuevo.
try-again = Intentar de nuevo
proctor-heading = Supervisor
proctor-only = Solo para el supervisor.
proctor-code-label = Código del supervisor
proctor-reason-label = Motivo
proctor-unlock = Desbloquear
proctor-unlocking = Desbloqueando…
proctor-cancel = Cancelar
proctor-code-missing = Escribe el código del supervisor.
proctor-accepted = Se aceptó el código del supervisor.
banner-dismiss = Cerrar aviso
contrast-toggle = Alto contraste
monitor-camera = tu cámara
monitor-microphone = tu micrófono
monitor-screen = la grabación de la pantalla
monitor-processes = la comprobación de otros programas
monitor-displays = la comprobación de otras pantallas
monitor-detection = las comprobaciones de cara y voz
monitor-face-detection = la comprobación de la cara
monitor-voice-detection = la comprobación de la voz
monitor-unknown = una de las comprobaciones del examen
trouble-not-working = { $count ->
    [one] { $parts } no funciona en este momento; el examen continúa. Avisa a tu supervisor.
   *[other] { $parts } no funcionan en este momento; el examen continúa. Avisa a tu supervisor.
}
save-saving = Guardando…
save-saved = Guardado a las { $time }
save-retrying = Aún no se ha guardado; lo intentamos de nuevo

## Consentimiento

consent-title = Tu privacidad — { app-name }
consent-heading = Antes de empezar: tu privacidad
consent-loading = Cargando las condiciones…
consent-load-failed = No se pudieron cargar las condiciones. { $reason }
consent-lead = { $tenant } usa { app-name } para supervisar «{ $exam }». Esto es exactamente lo que ocurre mientras haces el examen.
consent-captured-heading = Qué se registra
consent-captured-label = Qué se registra
consent-why-label = Por qué
consent-where-heading = Adónde va
consent-kept-heading = Cuánto tiempo se guarda
consent-on-device-heading = Qué ocurre en este equipo
consent-who-heading = Quién decide
consent-person = El programa solo marca momentos para que los mire una persona. Nunca decide nada sobre ti. Una persona de { $tenant } revisa lo marcado y decide.
consent-agree = He leído esto y estoy de acuerdo
consent-start = Empezar el examen
consent-starting = Empezando…
consent-decline = No estoy de acuerdo
declined-title = Sin empezar — { app-name }
declined-heading = Has decidido no aceptar
declined-lead = No pasa nada. No se ha registrado ni enviado nada.
declined-other-way = Si quieres hacer este examen de otra forma, ponte en contacto con { $tenant }. También puedes volver y leer de nuevo las condiciones.
declined-organiser-unknown = el organizador del examen
declined-back = Volver a las condiciones

## Reanudar

resume-title = Reanuda tu examen — { app-name }
resume-heading = Hola de nuevo
resume-interrupted = Tu examen se interrumpió el { $time }. Tus respuestas están guardadas.
resume-earlier = un momento anterior
resume-check-again = Volveremos a comprobar rápidamente tu equipo y podrás seguir donde lo dejaste.
resume-code-label = Código del supervisor
resume-code-hint = Pide a tu supervisor un código para continuar. Es lo normal después de una interrupción.
resume-code-missing = Primero escribe el código del supervisor.
resume-button = Reanudar el examen

## Un examen en el sitio del organizador

online-where = Las preguntas están en el sitio del organizador, { $site }. Se abre en esta ventana; solo se pueden abrir las páginas del propio examen.
online-time = Tu tiempo termina a las { $time }. Entrega en la página del examen cuando acabes: esta aplicación terminará el examen y te mostrará tu comprobante. Cuando se acabe el tiempo, terminará sola.
online-open = Abrir el examen
online-opening = Abriendo…
page-title = { $title } — { app-name }

## Comprobación del equipo

check-title = Comprobación del equipo — { app-name }
check-heading = Comprueba tu equipo
check-lead-new = Antes de que empiece el examen, comprobamos que tu equipo, tu cámara y tu micrófono están listos. Tarda unos segundos.
check-lead-resume = Antes de seguir, volvemos a comprobar tu equipo. Tarda unos segundos.
check-status-ok = Listo
check-status-warning = Revisa esto
check-status-blocking = Requiere acción
check-how-to-fix = Cómo solucionarlo: { $fix }
check-done-blocking = { $count ->
    [one] Comprobación terminada. Hay 1 elemento que requiere acción antes de empezar.
   *[other] Comprobación terminada. Hay { $count } elementos que requieren acción antes de empezar.
}
check-done-warning = { $count ->
    [one] Comprobación terminada. Puedes empezar. Conviene revisar 1 elemento.
   *[other] Comprobación terminada. Puedes empezar. Conviene revisar { $count } elementos.
}
check-done-ok = Comprobación terminada. Todo está listo.
check-computer-heading = Tu equipo
check-camera-heading = Cámara
check-camera-picture = La imagen de tu cámara
check-camera-starting = Iniciando la cámara…
check-microphone-heading = Micrófono
check-microphone-level = Nivel del micrófono
check-microphone-hint = Di unas palabras: la barra debería moverse.
check-again = Comprobar de nuevo
check-checking = Comprobando…
check-continue = Continuar
check-wait = Espera mientras comprobamos tu equipo.
check-running = Comprobando tu equipo… tarda unos segundos.
check-unfinished = La comprobación no terminó. Elige «Comprobar de nuevo».
check-fix-first = Podrás continuar cuando los elementos marcados con «Requiere acción» estén solucionados. Soluciónalos y elige «Comprobar de nuevo».
check-opening = Abriendo tu examen…

## El examen

exam-points = { $points ->
    [one] { $points } punto
   *[other] { $points } puntos
}
exam-extra-time = Incluye un { $percent } % de tiempo adicional
exam-instructions = Instrucciones
exam-instructions-default = Responde a las preguntas. Tus respuestas se guardan mientras avanzas.
exam-questions = Preguntas
exam-nav-legend = ✓ respondida  ⚑ marcada
exam-nav-question = Pregunta { $number }
exam-nav-answered = Pregunta { $number }, respondida
exam-nav-not-answered = Pregunta { $number }, sin responder
exam-nav-answered-flagged = Pregunta { $number }, respondida, marcada para revisar
exam-nav-not-answered-flagged = Pregunta { $number }, sin responder, marcada para revisar
exam-previous = ← Anterior
exam-next = Siguiente →
exam-submit-open = Entregar el examen…
exam-finish-hint = Cuando termines, entrega tu examen. Antes puedes revisar tus respuestas.
exam-resumed = Hola de nuevo. Tus respuestas guardadas están restauradas abajo.
exam-question-of = Pregunta { $number } de { $total }
exam-choose-one = Elige una respuesta
exam-choose-all = Elige todas las que correspondan
exam-your-answer = Tu respuesta
exam-flag = Marcar para revisar
exam-flagged = Marcada para revisar
exam-time-up = Se acabó el tiempo. Tus respuestas se están entregando…
exam-ended = El examen ha terminado. Tus respuestas se están guardando de forma segura…
exam-saved-here = Tus respuestas están guardadas en este equipo.
exam-words = { $words ->
    [one] { $words } palabra
   *[other] { $words } palabras
}
exam-words-of = { $words } de { $max } palabras
exam-words-over = { $over ->
    [one] { $over } palabra por encima del límite de { $max }. Tu texto se conserva; acórtalo si puedes.
   *[other] { $over } palabras por encima del límite de { $max }. Tu texto se conserva; acórtalo si puedes.
}
exam-chars = { $chars ->
    [one] { $chars } carácter
   *[other] { $chars } caracteres
}
exam-chars-of = { $chars } de { $max } caracteres
exam-chars-limit = { $chars } de { $max } caracteres: límite alcanzado
submit-heading = ¿Entregar tu examen?
submit-summary = Has respondido { $answered } de { $total } preguntas.
submit-not-answered = Sin responder
submit-all-answered = Todas las preguntas tienen respuesta.
submit-flagged = Marcadas para revisar
submit-none-flagged = No hay preguntas marcadas.
submit-final = Después de entregar, ya no podrás cambiar tus respuestas.
submit-now = Entregar ahora
submit-keep-working = Seguir trabajando
submit-submitting = Entregando…
submit-not-saved = Algunas respuestas aún no se han guardado. Espera un momento y vuelve a intentarlo.
