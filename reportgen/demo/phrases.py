"""Phrase pools of the demo corpus: English, Spanish, German and Russian e-mails of every kind.

Each kind has ``subjects`` and ``sentences`` (templates with ``{slot}`` fields filled by
:mod:`reportgen.demo.corpus`). Spam banners (``banners``) hold the offer that image spam hides in its
picture; ``newsletter_banners`` are the calm banners of legitimate newsletters and ``sale_banners``
the loud ones of legitimate shops (hard ham). Hard texts: ``promo`` (a shop's offers), ``security``
(a bank's real notice, phishing's vocabulary) and ``parcel`` (a delivery-fee scam that reads like a
shipping notice). Only text lives here; the generator decides what goes where.
"""

from __future__ import annotations

#: Languages of the demo corpus (all covered by the DejaVu fonts matplotlib ships).
LANGUAGES: tuple[str, ...] = ("en", "es", "de", "ru")

PEOPLE: dict[str, dict[str, list[str]]] = {
    "en": {
        "first": ["Emma", "Oliver", "Sophie", "James", "Grace", "Daniel", "Hannah", "Thomas", "Lucy", "Adam"],
        "last": ["Walker", "Bennett", "Clarke", "Hughes", "Porter", "Reed", "Turner", "Foster"],
    },
    "es": {
        "first": ["Lucía", "Javier", "Marta", "Carlos", "Elena", "Pablo", "Sofía", "Diego", "Ana", "Miguel"],
        "last": ["García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz"],
    },
    "de": {
        "first": ["Anna", "Lukas", "Julia", "Felix", "Lena", "Jonas", "Miriam", "Tobias", "Clara", "Stefan"],
        "last": ["Müller", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Koch"],
    },
    "ru": {
        "first": ["Анна", "Дмитрий", "Ольга", "Сергей", "Мария", "Алексей", "Екатерина", "Иван", "Наталья", "Павел"],
        "last": ["Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков"],
    },
}

COMPANIES: dict[str, list[str]] = {
    "en": ["Northwind Ltd", "Bluebridge Consulting", "Harbor Analytics", "Greenleaf Energy", "Atlas Print"],
    "es": ["Soluciones Ibéricas", "Grupo Levante", "Datos del Sur", "Energía Verde SL", "Imprenta Atlas"],
    "de": ["Nordlicht GmbH", "Brückner Beratung", "Hafen Analytik", "Grünblatt Energie", "Atlas Druck AG"],
    "ru": ["ООО «Северный ветер»", "Мостстрой", "Гавань Аналитика", "Зелёный лист", "Атлас Принт"],
}

DOMAINS: dict[str, list[str]] = {
    "en": ["northwind.co.uk", "bluebridge.com", "harbor-analytics.com", "mail.com", "outlook.com"],
    "es": ["levante.es", "datosdelsur.es", "correo.es", "gmail.com", "telefonica.net"],
    "de": ["nordlicht.de", "brueckner.de", "web.de", "gmx.de", "posteo.de"],
    "ru": ["mostroy.ru", "yandex.ru", "mail.ru", "gavan.ru", "rambler.ru"],
}

SPAM_DOMAINS: list[str] = [
    "secure-verify-center.com", "prize-claims.net", "pharma-direct.biz", "account-alert.info",
    "lucky-draw.org", "meds-online.top", "notice-service.xyz",
]

SLOTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
        "time": ["9:30", "10:00", "11:15", "14:00", "15:30"],
        "room": ["room 2.14", "the small meeting room", "the video call", "the third floor kitchen"],
        "city": ["Leeds", "Bristol", "Dublin", "Edinburgh", "York"],
        "amount": ["£1,250,000", "$850,000", "£2,000,000", "$1,500,000"],
        "invoice_amount": ["£412.80", "£1,290.00", "£86.45", "£2,340.10"],
        "drug": ["Viagra", "Cialis", "Xanax", "Tramadol"],
        "bank": ["Barclays", "PayPal", "HSBC", "Lloyds Bank"],
        "topic": ["our new office", "the spring edition", "community events", "product updates"],
        "month": ["March", "April", "May", "June"],
        "project": ["the website relaunch", "the Q3 budget", "the customer survey", "the data migration"],
    },
    "es": {
        "day": ["lunes", "martes", "miércoles", "jueves", "viernes"],
        "time": ["9:30", "10:00", "11:15", "14:00", "16:30"],
        "room": ["la sala 2.14", "la sala pequeña", "la videollamada", "la tercera planta"],
        "city": ["Valencia", "Sevilla", "Bilbao", "Zaragoza", "Málaga"],
        "amount": ["1.250.000 €", "850.000 €", "2.000.000 €", "1.500.000 €"],
        "invoice_amount": ["412,80 €", "1.290,00 €", "86,45 €", "2.340,10 €"],
        "drug": ["Viagra", "Cialis", "Xanax", "Tramadol"],
        "bank": ["Santander", "BBVA", "PayPal", "CaixaBank"],
        "topic": ["nuestra nueva oficina", "la edición de primavera", "eventos de la comunidad", "novedades"],
        "month": ["marzo", "abril", "mayo", "junio"],
        "project": ["la nueva web", "el presupuesto del tercer trimestre", "la encuesta a clientes", "la migración de datos"],
    },
    "de": {
        "day": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
        "time": ["9:30", "10:00", "11:15", "14:00", "15:30"],
        "room": ["Raum 2.14", "dem kleinen Besprechungsraum", "der Videokonferenz", "der Teeküche im 3. Stock"],
        "city": ["Hamburg", "Leipzig", "Köln", "Freiburg", "Bremen"],
        "amount": ["1.250.000 €", "850.000 €", "2.000.000 €", "1.500.000 €"],
        "invoice_amount": ["412,80 €", "1.290,00 €", "86,45 €", "2.340,10 €"],
        "drug": ["Viagra", "Cialis", "Xanax", "Tramadol"],
        "bank": ["Sparkasse", "Deutsche Bank", "PayPal", "Commerzbank"],
        "topic": ["unser neues Büro", "die Frühlingsausgabe", "Termine im Verein", "Produktneuheiten"],
        "month": ["März", "April", "Mai", "Juni"],
        "project": ["den Website-Relaunch", "das Budget für Q3", "die Kundenumfrage", "die Datenmigration"],
    },
    "ru": {
        "day": ["понедельник", "вторник", "среду", "четверг", "пятницу"],
        "time": ["9:30", "10:00", "11:15", "14:00", "15:30"],
        "room": ["переговорной 2.14", "малой переговорной", "видеозвонке", "кухне на третьем этаже"],
        "city": ["Казани", "Самаре", "Новосибирске", "Екатеринбурге", "Твери"],
        "amount": ["1 250 000 руб.", "850 000 $", "2 000 000 руб.", "1 500 000 €"],
        "invoice_amount": ["41 280 руб.", "12 900 руб.", "8 645 руб.", "23 410 руб."],
        "drug": ["Виагра", "Сиалис", "Ксанакс", "Трамадол"],
        "bank": ["Сбербанк", "ВТБ", "Тинькофф", "Альфа-Банк"],
        "topic": ["наш новый офис", "весенний выпуск", "события сообщества", "новинки продуктов"],
        "month": ["март", "апрель", "май", "июнь"],
        "project": ["перезапуск сайта", "бюджет на третий квартал", "опрос клиентов", "перенос данных"],
    },
}

GREETINGS: dict[str, dict[str, list[str]]] = {
    "en": {
        "ham": ["Hi {name},", "Hello {name},", "Dear {name},", "Hi all,", "Good morning {name},"],
        "spam": ["Dear Customer,", "Dear Winner,", "Attention!", "Dear valued member,", "Hello friend,"],
    },
    "es": {
        "ham": ["Hola {name}:", "Buenos días, {name}:", "Estimada/o {name}:", "Hola a todos:", "Querida/o {name}:"],
        "spam": ["Estimado cliente:", "Querido ganador:", "¡Atención!", "Estimado miembro:", "Hola amigo:"],
    },
    "de": {
        "ham": ["Hallo {name},", "Liebe/r {name},", "Guten Morgen {name},", "Hallo zusammen,", "Hi {name},"],
        "spam": ["Sehr geehrter Kunde,", "Lieber Gewinner,", "Achtung!", "Sehr geehrtes Mitglied,", "Hallo Freund,"],
    },
    "ru": {
        "ham": ["Привет, {name}!", "Добрый день, {name}!", "Здравствуйте, {name}!", "Всем привет!", "Доброе утро, {name}!"],
        "spam": ["Уважаемый клиент!", "Дорогой победитель!", "Внимание!", "Уважаемый участник!", "Здравствуй, друг!"],
    },
}

CLOSINGS: dict[str, dict[str, list[str]]] = {
    "en": {"ham": ["Best regards,", "Thanks,", "Cheers,", "Kind regards,", "See you soon,"],
           "spam": ["Sincerely,", "Best regards,", "Yours faithfully,"]},
    "es": {"ham": ["Un saludo,", "Gracias,", "Saludos cordiales,", "Un abrazo,", "Hasta pronto,"],
           "spam": ["Atentamente,", "Saludos cordiales,", "Cordialmente,"]},
    "de": {"ham": ["Viele Grüße", "Danke und Gruß", "Beste Grüße", "Liebe Grüße", "Bis bald"],
           "spam": ["Mit freundlichen Grüßen", "Hochachtungsvoll", "Beste Grüße"]},
    "ru": {"ham": ["С уважением,", "Спасибо,", "Всего доброго,", "Обнимаю,", "До встречи,"],
           "spam": ["С уважением,", "Искренне ваш,", "С наилучшими пожеланиями,"]},
}

SPAM_SENDERS: dict[str, list[str]] = {
    "en": ["Security Department", "Prize Claims Office", "Online Pharmacy", "Customer Service", "Dr. Albert Moore",
           "Delivery Service"],
    "es": ["Departamento de Seguridad", "Oficina de Premios", "Farmacia Online", "Atención al Cliente", "Dr. Alberto Mora",
           "Servicio de Entregas"],
    "de": ["Sicherheitsabteilung", "Gewinnbüro", "Online-Apotheke", "Kundenservice", "Dr. Albert Moser", "Zustelldienst"],
    "ru": ["Служба безопасности", "Отдел выплат призов", "Онлайн-аптека", "Служба поддержки", "Доктор Альберт Морозов",
           "Служба доставки"],
}

# Kinds: ham = meeting, invoice, personal, shipping, newsletter; spam = phishing, lottery, pharmacy.
KINDS: dict[str, dict[str, dict[str, list[str]]]] = {
    "en": {
        "meeting": {
            "subjects": ["Notes from {day}'s meeting", "Agenda for {day} {time}", "Follow-up: {project}",
                         "Moving our call to {day}"],
            "sentences": [
                "Thanks for joining the meeting about {project} earlier today.",
                "Here are the short notes so everyone is on the same page.",
                "We agreed to review the draft together on {day} at {time} in {room}.",
                "Daniel will prepare the figures and send them around before then.",
                "Please add any open questions to the shared document.",
                "If the time does not work for you, just let me know and we will move it.",
                "The next step is to collect feedback from the team in {city}.",
            ],
        },
        "invoice": {
            "subjects": ["Invoice {number} from {company}", "Your invoice for {month}", "Payment reminder: invoice {number}",
                         "Receipt for your order {number}"],
            "sentences": [
                "Please find attached invoice {number} for the services delivered in {month}.",
                "The total amount of {invoice_amount} is due within 30 days.",
                "You can pay by bank transfer using the reference {number}.",
                "If you have already paid, please ignore this message.",
                "For questions about this invoice, reply to this e-mail or call our office.",
                "Thank you for your business and the good cooperation.",
            ],
        },
        "personal": {
            "subjects": ["Weekend plans?", "Photos from {city}", "Dinner on {day}", "Happy birthday!",
                         "Quick question"],
            "sentences": [
                "It was so good to see you last weekend in {city}.",
                "Are you free for dinner on {day} evening?",
                "I attached a few photos from our trip, the weather was lovely.",
                "Mum says hello and asks when you are coming to visit.",
                "Could you bring the book I lent you when we meet?",
                "Let me know what suits you and I will book a table.",
                "Hope the new job is going well!",
            ],
        },
        "shipping": {
            "subjects": ["Your parcel is on its way", "Delivery update for order {number}",
                         "Your order {number} has shipped"],
            "sentences": [
                "Good news: your order {number} has left our warehouse.",
                "The parcel should arrive on {day} between 9:00 and 13:00.",
                "You can follow the delivery with tracking number {number}.",
                "If nobody is at home, the driver will leave a card with pick-up details.",
                "Thank you for shopping with {company}.",
            ],
        },
        "newsletter": {
            "subjects": ["{company} newsletter — {month}", "News from {company}: {topic}", "Your {month} digest"],
            "sentences": [
                "Welcome to the {month} issue of our newsletter.",
                "This month we write about {topic} and what is planned for the summer.",
                "Our team in {city} has grown and we introduce two new colleagues.",
                "Read the full stories on our website or in the attached PDF.",
                "You receive this newsletter because you subscribed on our website.",
                "You can change your preferences or unsubscribe at any time.",
            ],
        },
        "phishing": {
            "subjects": ["URGENT: your {bank} account has been suspended", "Security alert: unusual sign-in detected",
                         "Action required: verify your {bank} account now", "Final notice: account locked"],
            "sentences": [
                "We detected unusual activity on your {bank} account and temporarily suspended it.",
                "To restore full access you must verify your identity within 24 hours.",
                "Click the secure link below and confirm your password and card number.",
                "If you do not verify now, your account will be permanently closed.",
                "Failure to respond will result in the loss of your funds.",
                "Verify here: http://{bank_slug}-secure-login.com/verify",
            ],
        },
        "lottery": {
            "subjects": ["CONGRATULATIONS! You have won {amount}", "Winning notification: claim your prize",
                         "You are our lucky winner!!!", "Claim your {amount} prize today"],
            "sentences": [
                "Congratulations! Your e-mail address was selected in our international lottery.",
                "You have won the sum of {amount} in cash.",
                "To claim your prize, send your full name, address and bank details today.",
                "A small processing fee is required to release the winnings.",
                "This offer expires in 48 hours, act now!",
                "Keep this notification confidential until your prize is paid out.",
            ],
        },
        "pharmacy": {
            "subjects": ["Cheap {drug} — {percent}% off today only", "Buy {drug} online without prescription",
                         "Best prices on {drug}!!!", "Your discreet pharmacy order"],
            "sentences": [
                "Buy {drug} online at the lowest prices, no prescription needed.",
                "Get {percent}% off on all orders today only.",
                "Discreet packaging and fast worldwide shipping guaranteed.",
                "Order now and receive free pills with every purchase.",
                "Thousands of satisfied customers trust our online pharmacy.",
                "Click here to order {drug} now and save big!",
            ],
        },
        "promo": {
            "subjects": ["{company}: our spring sale starts {day}", "Members' week: up to {percent}% off",
                         "Your {month} offers from {company}"],
            "sentences": [
                "Our seasonal sale starts on {day} with up to {percent}% off selected items.",
                "As a member you get free delivery on every order this month.",
                "The offers are valid in our shop in {city} and online until the end of {month}.",
                "Prices include VAT, and returns are free within 30 days.",
                "You receive this e-mail because you have a customer account with {company}.",
                "You can unsubscribe from offers at any time in your account settings.",
            ],
        },
        "security": {
            "subjects": ["New sign-in to your {bank} account", "Your {bank} statement for {month} is ready",
                         "{bank}: your contact details were updated"],
            "sentences": [
                "We noticed a new sign-in to your {bank} account from {city}.",
                "If this was you, there is nothing you need to do.",
                "Your statement for {month} is now available in online banking.",
                "We will never ask for your password or card number by e-mail.",
                "If you did not make this change, call the number on the back of your card.",
                "You can review recent activity at any time in the {bank} app.",
            ],
        },
        "parcel": {
            "subjects": ["Your parcel {number} is on hold", "Delivery failed: action required",
                         "Customs fee due for parcel {number}"],
            "sentences": [
                "Your parcel {number} could not be delivered because a customs fee of £1.99 is unpaid.",
                "Please pay the fee within 48 hours or the parcel will be returned to the sender.",
                "Confirm your address and card details on our delivery page.",
                "Pay here: http://parcel-{number}-delivery.com/pay",
                "The driver will try again on {day} after the payment.",
                "Thank you for choosing our delivery service.",
            ],
        },
    },
    "es": {
        "meeting": {
            "subjects": ["Notas de la reunión del {day}", "Orden del día: {day} a las {time}", "Seguimiento: {project}",
                         "Cambiamos la llamada al {day}"],
            "sentences": [
                "Gracias por participar hoy en la reunión sobre {project}.",
                "Os envío unas notas breves para que todos tengamos la misma información.",
                "Quedamos en revisar el borrador juntos el {day} a las {time} en {room}.",
                "Pablo preparará las cifras y las enviará antes.",
                "Por favor, añadid las preguntas abiertas al documento compartido.",
                "Si la hora no os viene bien, decídmelo y la cambiamos.",
                "El siguiente paso es recoger comentarios del equipo de {city}.",
            ],
        },
        "invoice": {
            "subjects": ["Factura {number} de {company}", "Su factura de {month}", "Recordatorio de pago: factura {number}",
                         "Recibo de su pedido {number}"],
            "sentences": [
                "Adjuntamos la factura {number} por los servicios prestados en {month}.",
                "El importe total de {invoice_amount} vence en 30 días.",
                "Puede pagar por transferencia indicando la referencia {number}.",
                "Si ya ha realizado el pago, ignore este mensaje.",
                "Para cualquier consulta sobre esta factura, responda a este correo.",
                "Gracias por su confianza y la buena colaboración.",
            ],
        },
        "personal": {
            "subjects": ["¿Planes para el fin de semana?", "Fotos de {city}", "Cena el {day}", "¡Feliz cumpleaños!",
                         "Una pregunta rápida"],
            "sentences": [
                "Me alegró mucho verte el fin de semana pasado en {city}.",
                "¿Estás libre para cenar el {day} por la noche?",
                "Te adjunto algunas fotos del viaje, hizo un tiempo estupendo.",
                "Mamá te manda saludos y pregunta cuándo vienes a vernos.",
                "¿Puedes traer el libro que te presté cuando nos veamos?",
                "Dime qué te viene mejor y reservo mesa.",
                "¡Espero que el nuevo trabajo vaya bien!",
            ],
        },
        "shipping": {
            "subjects": ["Su paquete está en camino", "Actualización de entrega del pedido {number}",
                         "Su pedido {number} ha sido enviado"],
            "sentences": [
                "Buenas noticias: su pedido {number} ha salido de nuestro almacén.",
                "El paquete llegará el {day} entre las 9:00 y las 13:00.",
                "Puede seguir el envío con el número de seguimiento {number}.",
                "Si no hay nadie en casa, el repartidor dejará un aviso.",
                "Gracias por comprar en {company}.",
            ],
        },
        "newsletter": {
            "subjects": ["Boletín de {company} — {month}", "Noticias de {company}: {topic}", "Su resumen de {month}"],
            "sentences": [
                "Bienvenido al número de {month} de nuestro boletín.",
                "Este mes hablamos de {topic} y de los planes para el verano.",
                "Nuestro equipo de {city} ha crecido y presentamos a dos nuevos compañeros.",
                "Lea las noticias completas en nuestra web o en el PDF adjunto.",
                "Recibe este boletín porque se suscribió en nuestra web.",
                "Puede cambiar sus preferencias o darse de baja en cualquier momento.",
            ],
        },
        "phishing": {
            "subjects": ["URGENTE: su cuenta de {bank} ha sido suspendida", "Alerta de seguridad: acceso inusual",
                         "Acción necesaria: verifique su cuenta de {bank}", "Último aviso: cuenta bloqueada"],
            "sentences": [
                "Hemos detectado actividad inusual en su cuenta de {bank} y la hemos suspendido.",
                "Para recuperar el acceso debe verificar su identidad en 24 horas.",
                "Haga clic en el enlace seguro y confirme su contraseña y número de tarjeta.",
                "Si no verifica ahora, su cuenta será cerrada definitivamente.",
                "No responder supondrá la pérdida de sus fondos.",
                "Verifique aquí: http://{bank_slug}-acceso-seguro.com/verificar",
            ],
        },
        "lottery": {
            "subjects": ["¡FELICIDADES! Ha ganado {amount}", "Notificación de premio: reclame su dinero",
                         "¡¡¡Es nuestro afortunado ganador!!!", "Reclame hoy su premio de {amount}"],
            "sentences": [
                "¡Felicidades! Su dirección de correo fue elegida en nuestra lotería internacional.",
                "Ha ganado la suma de {amount} en efectivo.",
                "Para reclamar su premio, envíe hoy su nombre completo, dirección y datos bancarios.",
                "Se requiere una pequeña tasa de gestión para liberar el premio.",
                "Esta oferta caduca en 48 horas, ¡actúe ya!",
                "Mantenga esta notificación en secreto hasta recibir el pago.",
            ],
        },
        "pharmacy": {
            "subjects": ["{drug} barato: {percent}% de descuento solo hoy", "Compre {drug} online sin receta",
                         "¡¡¡Los mejores precios en {drug}!!!", "Su pedido discreto de farmacia"],
            "sentences": [
                "Compre {drug} online al mejor precio, sin receta médica.",
                "Obtenga un {percent}% de descuento en todos los pedidos solo hoy.",
                "Envío discreto y rápido a todo el mundo garantizado.",
                "Pida ahora y reciba pastillas gratis con cada compra.",
                "Miles de clientes satisfechos confían en nuestra farmacia online.",
                "¡Haga clic aquí para pedir {drug} y ahorrar!",
            ],
        },
        "promo": {
            "subjects": ["{company}: las rebajas de primavera empiezan el {day}", "Semana de socios: hasta un {percent}% de descuento",
                         "Sus ofertas de {month} de {company}"],
            "sentences": [
                "Nuestras rebajas de temporada empiezan el {day} con hasta un {percent}% de descuento en artículos seleccionados.",
                "Como socio, el envío es gratuito en todos los pedidos este mes.",
                "Las ofertas son válidas en nuestra tienda de {city} y online hasta finales de {month}.",
                "Los precios incluyen IVA y la devolución es gratuita durante 30 días.",
                "Recibe este correo porque tiene una cuenta de cliente en {company}.",
                "Puede darse de baja de las ofertas en cualquier momento desde su cuenta.",
            ],
        },
        "security": {
            "subjects": ["Nuevo inicio de sesión en su cuenta de {bank}", "Su extracto de {bank} de {month} está disponible",
                         "{bank}: sus datos de contacto se han actualizado"],
            "sentences": [
                "Hemos detectado un nuevo inicio de sesión en su cuenta de {bank} desde {city}.",
                "Si ha sido usted, no tiene que hacer nada.",
                "Su extracto de {month} ya está disponible en la banca online.",
                "Nunca le pediremos su contraseña ni su número de tarjeta por correo.",
                "Si no ha realizado este cambio, llame al número que figura en su tarjeta.",
                "Puede revisar la actividad reciente en cualquier momento en la app de {bank}.",
            ],
        },
        "parcel": {
            "subjects": ["Su paquete {number} está retenido", "Entrega fallida: acción necesaria",
                         "Tasa de aduana pendiente del paquete {number}"],
            "sentences": [
                "Su paquete {number} no se ha podido entregar porque hay una tasa de aduana de 1,99 € pendiente.",
                "Pague la tasa en 48 horas o el paquete será devuelto al remitente.",
                "Confirme su dirección y los datos de su tarjeta en nuestra página de entregas.",
                "Pague aquí: http://paquete-{number}-entrega.com/pagar",
                "El repartidor lo intentará de nuevo el {day} después del pago.",
                "Gracias por elegir nuestro servicio de entrega.",
            ],
        },
    },
    "de": {
        "meeting": {
            "subjects": ["Protokoll vom {day}", "Agenda für {day}, {time} Uhr", "Nachtrag: {project}",
                         "Unser Termin verschiebt sich auf {day}"],
            "sentences": [
                "Danke, dass ihr heute beim Treffen zu {project} dabei wart.",
                "Hier die kurzen Notizen, damit alle auf dem gleichen Stand sind.",
                "Wir haben vereinbart, den Entwurf am {day} um {time} Uhr in {room} gemeinsam durchzugehen.",
                "Tobias bereitet die Zahlen vor und schickt sie vorher herum.",
                "Bitte tragt offene Fragen in das gemeinsame Dokument ein.",
                "Wenn der Termin nicht passt, sagt kurz Bescheid, dann verschieben wir ihn.",
                "Als Nächstes holen wir Feedback vom Team in {city} ein.",
            ],
        },
        "invoice": {
            "subjects": ["Rechnung {number} von {company}", "Ihre Rechnung für {month}", "Zahlungserinnerung: Rechnung {number}",
                         "Beleg zu Ihrer Bestellung {number}"],
            "sentences": [
                "Anbei erhalten Sie die Rechnung {number} für die Leistungen im {month}.",
                "Der Gesamtbetrag von {invoice_amount} ist innerhalb von 30 Tagen fällig.",
                "Bitte überweisen Sie den Betrag mit dem Verwendungszweck {number}.",
                "Falls Sie bereits bezahlt haben, betrachten Sie diese Nachricht als gegenstandslos.",
                "Bei Fragen zur Rechnung antworten Sie einfach auf diese E-Mail.",
                "Vielen Dank für die gute Zusammenarbeit.",
            ],
        },
        "personal": {
            "subjects": ["Pläne fürs Wochenende?", "Fotos aus {city}", "Abendessen am {day}", "Alles Gute zum Geburtstag!",
                         "Kurze Frage"],
            "sentences": [
                "Schön, dass wir uns letztes Wochenende in {city} gesehen haben.",
                "Hast du am {day} Abend Zeit zum Essen?",
                "Ich habe dir ein paar Fotos von unserer Reise angehängt, das Wetter war herrlich.",
                "Mama lässt grüßen und fragt, wann du uns besuchen kommst.",
                "Kannst du das Buch mitbringen, das ich dir geliehen habe?",
                "Sag mir, was dir passt, dann reserviere ich einen Tisch.",
                "Ich hoffe, der neue Job läuft gut!",
            ],
        },
        "shipping": {
            "subjects": ["Ihr Paket ist unterwegs", "Lieferupdate zu Bestellung {number}",
                         "Ihre Bestellung {number} wurde versandt"],
            "sentences": [
                "Gute Nachrichten: Ihre Bestellung {number} hat unser Lager verlassen.",
                "Das Paket kommt voraussichtlich am {day} zwischen 9 und 13 Uhr.",
                "Die Sendung können Sie mit der Nummer {number} verfolgen.",
                "Wenn niemand zu Hause ist, hinterlässt der Fahrer eine Benachrichtigungskarte.",
                "Vielen Dank für Ihren Einkauf bei {company}.",
            ],
        },
        "newsletter": {
            "subjects": ["{company} Newsletter — {month}", "Neues von {company}: {topic}", "Ihr Überblick für {month}"],
            "sentences": [
                "Willkommen zur {month}-Ausgabe unseres Newsletters.",
                "Diesen Monat geht es um {topic} und unsere Pläne für den Sommer.",
                "Unser Team in {city} ist gewachsen, wir stellen zwei neue Kolleginnen vor.",
                "Die ganzen Artikel finden Sie auf unserer Website oder im angehängten PDF.",
                "Sie erhalten diesen Newsletter, weil Sie ihn auf unserer Website abonniert haben.",
                "Sie können Ihre Einstellungen jederzeit ändern oder sich abmelden.",
            ],
        },
        "phishing": {
            "subjects": ["DRINGEND: Ihr {bank}-Konto wurde gesperrt", "Sicherheitswarnung: ungewöhnliche Anmeldung",
                         "Handlungsbedarf: bestätigen Sie Ihr {bank}-Konto", "Letzte Mahnung: Konto gesperrt"],
            "sentences": [
                "Wir haben ungewöhnliche Aktivitäten auf Ihrem {bank}-Konto festgestellt und es vorübergehend gesperrt.",
                "Um den Zugang wiederherzustellen, müssen Sie Ihre Identität innerhalb von 24 Stunden bestätigen.",
                "Klicken Sie auf den sicheren Link und bestätigen Sie Passwort und Kartennummer.",
                "Wenn Sie jetzt nicht bestätigen, wird Ihr Konto endgültig geschlossen.",
                "Ohne Antwort droht der Verlust Ihres Guthabens.",
                "Hier bestätigen: http://{bank_slug}-sicher-login.com/verify",
            ],
        },
        "lottery": {
            "subjects": ["GLÜCKWUNSCH! Sie haben {amount} gewonnen", "Gewinnbenachrichtigung: fordern Sie Ihren Preis an",
                         "Sie sind unser glücklicher Gewinner!!!", "Holen Sie sich heute {amount}"],
            "sentences": [
                "Herzlichen Glückwunsch! Ihre E-Mail-Adresse wurde in unserer internationalen Lotterie gezogen.",
                "Sie haben einen Bargeldbetrag von {amount} gewonnen.",
                "Senden Sie uns noch heute Ihren vollständigen Namen, Ihre Adresse und Bankverbindung.",
                "Für die Auszahlung ist eine kleine Bearbeitungsgebühr erforderlich.",
                "Dieses Angebot verfällt in 48 Stunden, handeln Sie jetzt!",
                "Behandeln Sie diese Mitteilung vertraulich, bis Ihr Gewinn ausgezahlt ist.",
            ],
        },
        "pharmacy": {
            "subjects": ["Günstiges {drug} — nur heute {percent}% Rabatt", "{drug} online kaufen ohne Rezept",
                         "Beste Preise für {drug}!!!", "Ihre diskrete Apothekenbestellung"],
            "sentences": [
                "Kaufen Sie {drug} online zu Tiefstpreisen, ganz ohne Rezept.",
                "Nur heute {percent}% Rabatt auf alle Bestellungen.",
                "Diskrete Verpackung und schneller weltweiter Versand garantiert.",
                "Jetzt bestellen und zu jeder Bestellung Gratis-Pillen erhalten.",
                "Tausende zufriedene Kunden vertrauen unserer Online-Apotheke.",
                "Klicken Sie hier, um {drug} jetzt zu bestellen und zu sparen!",
            ],
        },
        "promo": {
            "subjects": ["{company}: Frühjahrsverkauf ab {day}", "Mitgliederwoche: bis zu {percent}% Rabatt",
                         "Ihre Angebote im {month} von {company}"],
            "sentences": [
                "Unser Saisonverkauf beginnt am {day} mit bis zu {percent}% Rabatt auf ausgewählte Artikel.",
                "Als Mitglied liefern wir Ihnen diesen Monat jede Bestellung versandkostenfrei.",
                "Die Angebote gelten in unserem Geschäft in {city} und online bis Ende {month}.",
                "Alle Preise inklusive Mehrwertsteuer, Rückgabe kostenlos innerhalb von 30 Tagen.",
                "Sie erhalten diese E-Mail, weil Sie ein Kundenkonto bei {company} haben.",
                "Angebote können Sie jederzeit in Ihren Kontoeinstellungen abbestellen.",
            ],
        },
        "security": {
            "subjects": ["Neue Anmeldung bei Ihrem {bank}-Konto", "Ihr {bank}-Kontoauszug für {month} ist da",
                         "{bank}: Ihre Kontaktdaten wurden geändert"],
            "sentences": [
                "Wir haben eine neue Anmeldung bei Ihrem {bank}-Konto aus {city} bemerkt.",
                "Wenn Sie das waren, müssen Sie nichts tun.",
                "Ihr Kontoauszug für {month} steht im Online-Banking bereit.",
                "Wir fragen Sie niemals per E-Mail nach Passwort oder Kartennummer.",
                "Falls Sie diese Änderung nicht vorgenommen haben, rufen Sie die Nummer auf Ihrer Karte an.",
                "Die letzten Umsätze sehen Sie jederzeit in der {bank}-App.",
            ],
        },
        "parcel": {
            "subjects": ["Ihr Paket {number} wird zurückgehalten", "Zustellung fehlgeschlagen: Handlung erforderlich",
                         "Zollgebühr für Paket {number} offen"],
            "sentences": [
                "Ihr Paket {number} konnte nicht zugestellt werden, weil eine Zollgebühr von 1,99 € offen ist.",
                "Bitte zahlen Sie die Gebühr innerhalb von 48 Stunden, sonst geht das Paket zurück an den Absender.",
                "Bestätigen Sie Ihre Adresse und Kartendaten auf unserer Zustellseite.",
                "Hier bezahlen: http://paket-{number}-zustellung.com/zahlen",
                "Der Fahrer versucht es nach der Zahlung am {day} erneut.",
                "Danke, dass Sie unseren Lieferdienst gewählt haben.",
            ],
        },
    },
    "ru": {
        "meeting": {
            "subjects": ["Итоги встречи в {day}", "Повестка на {day}, {time}", "По следам обсуждения: {project}",
                         "Переносим созвон на {day}"],
            "sentences": [
                "Спасибо всем, кто сегодня участвовал во встрече про {project}.",
                "Отправляю краткие заметки, чтобы у всех была одна информация.",
                "Договорились вместе посмотреть черновик в {day} в {time} на {room}.",
                "Иван подготовит цифры и разошлёт их заранее.",
                "Пожалуйста, добавьте открытые вопросы в общий документ.",
                "Если время неудобно, напишите, и мы его перенесём.",
                "Следующий шаг — собрать отзывы команды в {city}.",
            ],
        },
        "invoice": {
            "subjects": ["Счёт {number} от {company}", "Ваш счёт за {month}", "Напоминание об оплате счёта {number}",
                         "Квитанция по заказу {number}"],
            "sentences": [
                "Во вложении счёт {number} за услуги, оказанные в {month}.",
                "Общая сумма {invoice_amount} подлежит оплате в течение 30 дней.",
                "Оплатить можно банковским переводом с назначением платежа {number}.",
                "Если вы уже оплатили, просто не обращайте внимания на это письмо.",
                "По вопросам о счёте ответьте на это письмо или позвоните нам.",
                "Спасибо за сотрудничество.",
            ],
        },
        "personal": {
            "subjects": ["Планы на выходные?", "Фотографии из поездки", "Ужин в {day}", "С днём рождения!",
                         "Короткий вопрос"],
            "sentences": [
                "Было очень здорово увидеться в прошлые выходные в {city}.",
                "Ты свободен в {day} вечером, чтобы поужинать?",
                "Прикрепляю несколько фотографий из поездки, погода была чудесная.",
                "Мама передаёт привет и спрашивает, когда ты приедешь в гости.",
                "Сможешь захватить книгу, которую я тебе давал?",
                "Напиши, когда тебе удобно, и я забронирую столик.",
                "Надеюсь, на новой работе всё хорошо!",
            ],
        },
        "shipping": {
            "subjects": ["Ваша посылка в пути", "Статус доставки заказа {number}", "Заказ {number} отправлен"],
            "sentences": [
                "Хорошие новости: ваш заказ {number} покинул наш склад.",
                "Посылка прибудет в {day} с 9:00 до 13:00.",
                "Отследить доставку можно по номеру {number}.",
                "Если никого не будет дома, курьер оставит извещение.",
                "Спасибо за покупку в {company}.",
            ],
        },
        "newsletter": {
            "subjects": ["Рассылка {company} — {month}", "Новости {company}: {topic}", "Ваш дайджест за {month}"],
            "sentences": [
                "Добро пожаловать в выпуск нашей рассылки за {month}.",
                "В этом месяце мы рассказываем про {topic} и планы на лето.",
                "Наша команда в {city} выросла, знакомим вас с двумя новыми коллегами.",
                "Полные статьи читайте на нашем сайте или в приложенном PDF.",
                "Вы получили это письмо, потому что подписались на нашем сайте.",
                "Изменить настройки или отписаться можно в любой момент.",
            ],
        },
        "phishing": {
            "subjects": ["СРОЧНО: ваш счёт в {bank} заблокирован", "Оповещение безопасности: подозрительный вход",
                         "Требуется действие: подтвердите аккаунт {bank}", "Последнее предупреждение: доступ закрыт"],
            "sentences": [
                "Мы обнаружили подозрительную активность в вашем аккаунте {bank} и временно заблокировали его.",
                "Чтобы восстановить доступ, подтвердите личность в течение 24 часов.",
                "Перейдите по защищённой ссылке и введите пароль и номер карты.",
                "Если вы не подтвердите данные сейчас, аккаунт будет закрыт навсегда.",
                "Отсутствие ответа приведёт к потере ваших средств.",
                "Подтвердить: http://{bank_slug}-secure-login.ru/verify",
            ],
        },
        "lottery": {
            "subjects": ["ПОЗДРАВЛЯЕМ! Вы выиграли {amount}", "Уведомление о выигрыше: получите приз",
                         "Вы наш счастливый победитель!!!", "Заберите свой приз {amount} сегодня"],
            "sentences": [
                "Поздравляем! Ваш адрес был выбран в нашей международной лотерее.",
                "Вы выиграли {amount} наличными.",
                "Чтобы получить приз, пришлите сегодня ФИО, адрес и банковские реквизиты.",
                "Для выплаты выигрыша требуется небольшой сбор за оформление.",
                "Предложение действует 48 часов, действуйте сейчас!",
                "Держите это уведомление в тайне до получения выплаты.",
            ],
        },
        "pharmacy": {
            "subjects": ["Дешёвая {drug} — скидка {percent}% только сегодня", "Купить {drug} онлайн без рецепта",
                         "Лучшие цены на {drug}!!!", "Ваш анонимный заказ из аптеки"],
            "sentences": [
                "Купите {drug} онлайн по самым низким ценам, без рецепта.",
                "Скидка {percent}% на все заказы только сегодня.",
                "Анонимная упаковка и быстрая доставка по всему миру.",
                "Закажите сейчас и получите бесплатные таблетки к каждой покупке.",
                "Тысячи довольных клиентов доверяют нашей онлайн-аптеке.",
                "Нажмите здесь, чтобы заказать {drug} и сэкономить!",
            ],
        },
        "promo": {
            "subjects": ["{company}: весенняя распродажа с {day}", "Неделя для своих: скидки до {percent}%",
                         "Ваши предложения на {month} от {company}"],
            "sentences": [
                "Сезонная распродажа начинается в {day}: скидки до {percent}% на избранные товары.",
                "Для участников клуба доставка всех заказов в этом месяце бесплатна.",
                "Предложения действуют в нашем магазине в {city} и онлайн до конца месяца.",
                "Цены указаны с НДС, вернуть товар можно бесплатно в течение 30 дней.",
                "Вы получили это письмо, потому что у вас есть аккаунт покупателя в {company}.",
                "Отписаться от предложений можно в любой момент в настройках аккаунта.",
            ],
        },
        "security": {
            "subjects": ["Новый вход в ваш аккаунт {bank}", "Выписка {bank} за {month} готова",
                         "{bank}: ваши контактные данные изменены"],
            "sentences": [
                "Мы заметили новый вход в ваш аккаунт {bank}, выполненный в {city}.",
                "Если это были вы, ничего делать не нужно.",
                "Выписка за {month} уже доступна в интернет-банке.",
                "Мы никогда не просим пароль или номер карты по электронной почте.",
                "Если вы не вносили это изменение, позвоните по номеру на обороте карты.",
                "Последние операции всегда можно посмотреть в приложении {bank}.",
            ],
        },
        "parcel": {
            "subjects": ["Ваша посылка {number} задержана", "Доставка не удалась: требуется действие",
                         "Таможенный сбор за посылку {number}"],
            "sentences": [
                "Вашу посылку {number} не удалось доставить: не оплачен таможенный сбор 149 руб.",
                "Оплатите сбор в течение 48 часов, иначе посылка вернётся отправителю.",
                "Подтвердите адрес и данные карты на нашей странице доставки.",
                "Оплатить: http://posylka-{number}-dostavka.ru/oplata",
                "Курьер попробует ещё раз в {day} после оплаты.",
                "Спасибо, что выбрали нашу службу доставки.",
            ],
        },
    },
}

#: What image spam shows in its picture: headline, sub-line and button per spam kind.
BANNERS: dict[str, dict[str, dict[str, list[str]]]] = {
    "en": {
        "lottery": {"headline": ["YOU WON {amount}!", "JACKPOT WINNER!", "CLAIM {amount}"],
                    "sub": ["Claim your cash prize today", "Official winning notice · 48 h left"],
                    "button": ["CLAIM NOW", "GET MY PRIZE"]},
        "pharmacy": {"headline": ["{drug} -{percent}%", "CHEAP {drug}!", "{drug} NO Rx"],
                     "sub": ["No prescription · discreet delivery", "Lowest prices online"],
                     "button": ["ORDER NOW", "BUY NOW"]},
        "phishing": {"headline": ["ACCOUNT SUSPENDED", "VERIFY YOUR ACCOUNT", "SECURITY ALERT"],
                     "sub": ["{bank}: confirm your identity within 24 h", "{bank}: unusual sign-in detected"],
                     "button": ["VERIFY NOW", "UNLOCK ACCOUNT"]},
        "parcel": {"headline": ["PARCEL ON HOLD", "DELIVERY FAILED", "PAY CUSTOMS FEE"],
                   "sub": ["Pay £1.99 within 48 h or it goes back", "Confirm your address today"],
                   "button": ["PAY NOW", "RESCHEDULE"]},
    },
    "es": {
        "lottery": {"headline": ["¡HA GANADO {amount}!", "¡GANADOR DEL BOTE!", "RECLAME {amount}"],
                    "sub": ["Reclame hoy su premio en efectivo", "Aviso oficial · quedan 48 h"],
                    "button": ["RECLAMAR", "QUIERO MI PREMIO"]},
        "pharmacy": {"headline": ["{drug} -{percent}%", "¡{drug} BARATO!", "{drug} SIN RECETA"],
                     "sub": ["Sin receta · envío discreto", "Los precios más bajos"],
                     "button": ["PEDIR YA", "COMPRAR"]},
        "phishing": {"headline": ["CUENTA SUSPENDIDA", "VERIFIQUE SU CUENTA", "ALERTA DE SEGURIDAD"],
                     "sub": ["{bank}: confirme su identidad en 24 h", "{bank}: acceso inusual detectado"],
                     "button": ["VERIFICAR", "DESBLOQUEAR"]},
        "parcel": {"headline": ["PAQUETE RETENIDO", "ENTREGA FALLIDA", "PAGUE LA ADUANA"],
                   "sub": ["Pague 1,99 € en 48 h o será devuelto", "Confirme hoy su dirección"],
                   "button": ["PAGAR YA", "REPROGRAMAR"]},
    },
    "de": {
        "lottery": {"headline": ["SIE HABEN {amount} GEWONNEN!", "JACKPOT-GEWINNER!", "{amount} ABHOLEN"],
                    "sub": ["Fordern Sie heute Ihren Geldpreis an", "Offizielle Gewinnmitteilung · noch 48 h"],
                    "button": ["JETZT ABHOLEN", "GEWINN SICHERN"]},
        "pharmacy": {"headline": ["{drug} -{percent}%", "{drug} GÜNSTIG!", "{drug} OHNE REZEPT"],
                     "sub": ["Ohne Rezept · diskreter Versand", "Die günstigsten Preise online"],
                     "button": ["JETZT BESTELLEN", "KAUFEN"]},
        "phishing": {"headline": ["KONTO GESPERRT", "KONTO BESTÄTIGEN", "SICHERHEITSWARNUNG"],
                     "sub": ["{bank}: Identität binnen 24 h bestätigen", "{bank}: ungewöhnliche Anmeldung"],
                     "button": ["JETZT BESTÄTIGEN", "ENTSPERREN"]},
        "parcel": {"headline": ["PAKET ZURÜCKGEHALTEN", "ZUSTELLUNG FEHLGESCHLAGEN", "ZOLL BEZAHLEN"],
                   "sub": ["1,99 € binnen 48 h zahlen, sonst Rücksendung", "Bestätigen Sie heute Ihre Adresse"],
                   "button": ["JETZT ZAHLEN", "NEU ZUSTELLEN"]},
    },
    "ru": {
        "lottery": {"headline": ["ВЫ ВЫИГРАЛИ {amount}!", "ДЖЕКПОТ ВАШ!", "ЗАБЕРИТЕ {amount}"],
                    "sub": ["Получите денежный приз сегодня", "Официальное уведомление · осталось 48 ч"],
                    "button": ["ПОЛУЧИТЬ", "ЗАБРАТЬ ПРИЗ"]},
        "pharmacy": {"headline": ["{drug} -{percent}%", "ДЁШЕВАЯ {drug}!", "{drug} БЕЗ РЕЦЕПТА"],
                     "sub": ["Без рецепта · анонимная доставка", "Самые низкие цены"],
                     "button": ["ЗАКАЗАТЬ", "КУПИТЬ"]},
        "phishing": {"headline": ["АККАУНТ ЗАБЛОКИРОВАН", "ПОДТВЕРДИТЕ АККАУНТ", "УГРОЗА БЕЗОПАСНОСТИ"],
                     "sub": ["{bank}: подтвердите личность за 24 ч", "{bank}: подозрительный вход"],
                     "button": ["ПОДТВЕРДИТЬ", "РАЗБЛОКИРОВАТЬ"]},
        "parcel": {"headline": ["ПОСЫЛКА ЗАДЕРЖАНА", "ДОСТАВКА НЕ УДАЛАСЬ", "ОПЛАТИТЕ СБОР"],
                   "sub": ["Оплатите 149 руб. за 48 ч, иначе возврат", "Подтвердите адрес сегодня"],
                   "button": ["ОПЛАТИТЬ", "ПЕРЕНЕСТИ"]},
    },
}

#: Calm banners of legitimate newsletters (hard ham: a picture that is not an offer).
NEWSLETTER_BANNERS: dict[str, dict[str, list[str]]] = {
    "en": {"headline": ["{company}", "Monthly digest", "Community news"],
           "sub": ["{month} edition · {topic}", "Stories from our team in {city}"],
           "button": ["Read online", "View in browser"]},
    "es": {"headline": ["{company}", "Resumen mensual", "Noticias de la comunidad"],
           "sub": ["Edición de {month} · {topic}", "Historias de nuestro equipo de {city}"],
           "button": ["Leer online", "Ver en el navegador"]},
    "de": {"headline": ["{company}", "Monatsüberblick", "Neues aus der Gemeinschaft"],
           "sub": ["Ausgabe {month} · {topic}", "Geschichten aus unserem Team in {city}"],
           "button": ["Online lesen", "Im Browser ansehen"]},
    "ru": {"headline": ["{company}", "Дайджест месяца", "Новости сообщества"],
           "sub": ["Выпуск: {month} · {topic}", "Истории нашей команды в {city}"],
           "button": ["Читать онлайн", "Открыть в браузере"]},
}

#: Loud sale banners of legitimate shop newsletters (hard ham: drawn like a spam offer, but it is not one).
SALE_BANNERS: dict[str, dict[str, list[str]]] = {
    "en": {"headline": ["SPRING SALE -{percent}%", "UP TO {percent}% OFF", "MEMBERS' WEEK"],
           "sub": ["{company} · in store and online until {month}", "Free delivery for members"],
           "button": ["SHOP NOW", "SEE OFFERS"]},
    "es": {"headline": ["REBAJAS -{percent}%", "HASTA -{percent}%", "SEMANA DE SOCIOS"],
           "sub": ["{company} · en tienda y online hasta {month}", "Envío gratis para socios"],
           "button": ["COMPRAR", "VER OFERTAS"]},
    "de": {"headline": ["FRÜHJAHRSSALE -{percent}%", "BIS ZU {percent}% RABATT", "MITGLIEDERWOCHE"],
           "sub": ["{company} · im Laden und online bis {month}", "Versandkostenfrei für Mitglieder"],
           "button": ["ZUM SHOP", "ANGEBOTE"]},
    "ru": {"headline": ["РАСПРОДАЖА -{percent}%", "СКИДКИ ДО {percent}%", "НЕДЕЛЯ ДЛЯ СВОИХ"],
           "sub": ["{company} · в магазине и онлайн", "Бесплатная доставка для участников"],
           "button": ["В МАГАЗИН", "ПРЕДЛОЖЕНИЯ"]},
}

#: Words of the mail client's chrome drawn above each picture.
CLIENT_LABELS: dict[str, dict[str, str]] = {
    "en": {"from": "From", "to": "To", "date": "Date", "reply": "Reply", "forward": "Forward"},
    "es": {"from": "De", "to": "Para", "date": "Fecha", "reply": "Responder", "forward": "Reenviar"},
    "de": {"from": "Von", "to": "An", "date": "Datum", "reply": "Antworten", "forward": "Weiterleiten"},
    "ru": {"from": "От", "to": "Кому", "date": "Дата", "reply": "Ответить", "forward": "Переслать"},
}
