"""The sentences the gateway's preference center page says, per language; %(name)s marks where a
value goes."""

# The translations keep each language's own typography (en dashes, Japanese full-width brackets
# and colons), which RUF001 would take for look-alikes of ASCII.
# ruff: noqa: RUF001

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your messages from %(shop)s",
        "intro": (
            "Choose what %(shop)s tells you, and how. Your choices apply to the next messages "
            "within a few seconds."
        ),
        "grid_caption": "What you hear, and on which channel",
        "category": "Messages",
        "orders": "Order updates",
        "orders_hint": "confirmation, payment, cancellation, refund",
        "shipping": "Shipping and delivery",
        "shipping_hint": "shipped, out for delivery, delivered, delays",
        "reviews": "Review requests",
        "reviews_hint": "asking how you like what you bought",
        "offers": "Offers and reminders",
        "offers_hint": "offers, and a basket you left behind",
        "email": "Email",
        "sms": "SMS",
        "push": "Browser notifications",
        "switch_label": "%(category)s by %(channel)s",
        "contact_note": (
            "Texts need a mobile number on your account, and browser notifications a browser where "
            "you allowed them."
        ),
        "quiet_legend": "Quiet hours",
        "quiet_hint": (
            "No SMS or browser notifications between these times, your local time. The same time "
            "twice means no quiet hours."
        ),
        "quiet_from": "From",
        "quiet_to": "To",
        "pause_label": "Pause offers and reminders for 30 days",
        "paused_until": "Offers and reminders are paused until %(date)s.",
        "save": "Save my choices",
        "saved": "Saved. Your next messages follow your choices.",
        "unsubscribe_legend": "No more offers",
        "unsubscribe_hint": "Order and delivery news still reach you.",
        "unsubscribe_all": "Unsubscribe from all offers and reminders",
        "unsubscribed": (
            "You are unsubscribed from all offers and reminders. Order and delivery news still "
            "reach you."
        ),
        "bad_link_title": "This link does not work",
        "bad_link": (
            "The link is incomplete or was changed. Please use the link in one of our emails."
        ),
        "expired_title": "This link has expired",
        "expired": "Please use the link in a newer email from us.",
        "bad_form_title": "This form has expired",
        "bad_form": "Please open the link from your email again and make your choices once more.",
        "not_ready_title": "One moment, please",
        "not_ready": "We are loading your choices. Please try again in a few seconds.",
        "bad_input_title": "That did not work",
        "bad_input": "Part of the form was not understood: %(what)s. Please go back and try again.",
        "closed_title": "Message preferences are not available",
        "closed": "This shop has not turned its preference page on.",
    },
    "fi": {
        "title": "Viestit kaupasta %(shop)s",
        "intro": (
            "Valitse, mistä kauppa %(shop)s kertoo sinulle ja miten. Valintasi koskevat seuraavia "
            "viestejä jo muutaman sekunnin kuluttua."
        ),
        "grid_caption": "Mitä viestejä saat ja millä kanavalla",
        "category": "Viestit",
        "orders": "Tilausviestit",
        "orders_hint": "vahvistus, maksu, peruutus, hyvitys",
        "shipping": "Lähetys ja toimitus",
        "shipping_hint": "lähetetty, jakelussa, toimitettu, viivästykset",
        "reviews": "Arvostelupyynnöt",
        "reviews_hint": "kysymme, mitä pidät ostoksistasi",
        "offers": "Tarjoukset ja muistutukset",
        "offers_hint": "tarjoukset ja ostoskoriin jääneet tuotteet",
        "email": "Sähköposti",
        "sms": "Tekstiviesti",
        "push": "Selainilmoitukset",
        "switch_label": "%(category)s – %(channel)s",
        "contact_note": (
            "Tekstiviestejä varten tililläsi on oltava matkapuhelinnumero, ja selainilmoituksia "
            "varten selain, jossa olet sallinut ne."
        ),
        "quiet_legend": "Hiljainen aika",
        "quiet_hint": (
            "Emme lähetä tekstiviestejä emmekä selainilmoituksia näiden kellonaikojen välillä "
            "(paikallista aikaa). Jos alku- ja loppuaika ovat samat, hiljaista aikaa ei ole."
        ),
        "quiet_from": "Alkaa",
        "quiet_to": "Päättyy",
        "pause_label": "Keskeytä tarjoukset ja muistutukset 30 päiväksi",
        "paused_until": "Tarjoukset ja muistutukset on keskeytetty %(date)s asti.",
        "save": "Tallenna valintani",
        "saved": "Valintasi on tallennettu. Seuraavat viestisi lähetetään niiden mukaisesti.",
        "unsubscribe_legend": "Ei enää tarjouksia",
        "unsubscribe_hint": "Saat edelleen tilauksiasi ja toimituksiasi koskevat viestit.",
        "unsubscribe_all": "Peru kaikki tarjousviestit ja muistutukset",
        "unsubscribed": (
            "Olet perunut kaikki tarjousviestit ja muistutukset. Saat edelleen tilauksiasi ja "
            "toimituksiasi koskevat viestit."
        ),
        "bad_link_title": "Tämä linkki ei toimi",
        "bad_link": (
            "Linkki on puutteellinen tai sitä on muutettu. Käytä linkkiä, joka on jossakin "
            "lähettämässämme sähköpostissa."
        ),
        "expired_title": "Tämä linkki on vanhentunut",
        "expired": "Käytä uudemmassa sähköpostissamme olevaa linkkiä.",
        "bad_form_title": "Tämä lomake on vanhentunut",
        "bad_form": "Avaa linkki sähköpostistasi uudelleen ja tee valintasi vielä kerran.",
        "not_ready_title": "Hetkinen",
        "not_ready": "Haemme valintojasi. Yritä uudelleen muutaman sekunnin kuluttua.",
        "bad_input_title": "Tämä ei onnistunut",
        "bad_input": (
            "Emme ymmärtäneet osaa lomakkeesta: %(what)s. Palaa takaisin ja yritä uudelleen."
        ),
        "closed_title": "Viestiasetukset eivät ole käytettävissä",
        "closed": "Tämä kauppa ei ole ottanut viestiasetussivua käyttöön.",
    },
    "ro": {
        "title": "Mesajele dumneavoastră de la %(shop)s",
        "intro": (
            "Alegeți ce vă comunică %(shop)s și cum. Alegerile dumneavoastră se aplică mesajelor "
            "următoare în câteva secunde."
        ),
        "grid_caption": "Ce mesaje primiți și pe ce canal",
        "category": "Mesaje",
        "orders": "Actualizări despre comenzi",
        "orders_hint": "confirmare, plată, anulare, rambursare",
        "shipping": "Expediere și livrare",
        "shipping_hint": "expediată, în curs de livrare, livrată, întârzieri",
        "reviews": "Cereri de recenzii",
        "reviews_hint": "vă întrebăm cum vă plac produsele cumpărate",
        "offers": "Oferte și reamintiri",
        "offers_hint": "oferte și produsele lăsate în coș",
        "email": "E-mail",
        "sms": "SMS",
        "push": "Notificări în browser",
        "switch_label": "%(category)s – %(channel)s",
        "contact_note": (
            "Pentru SMS este nevoie de un număr de mobil în contul dumneavoastră, iar pentru "
            "notificările în browser, de un browser în care le-ați permis."
        ),
        "quiet_legend": "Ore de liniște",
        "quiet_hint": (
            "Între aceste ore (ora dumneavoastră locală) nu vă trimitem SMS-uri sau notificări în "
            "browser. Dacă alegeți aceeași oră la ambele, nu există ore de liniște."
        ),
        "quiet_from": "De la",
        "quiet_to": "Până la",
        "pause_label": "Suspendați ofertele și reamintirile timp de 30 de zile",
        "paused_until": "Ofertele și reamintirile sunt suspendate până la %(date)s.",
        "save": "Salvați alegerile",
        "saved": "Alegerile au fost salvate. Următoarele mesaje vor ține cont de ele.",
        "unsubscribe_legend": "Fără alte oferte",
        "unsubscribe_hint": "Veți primi în continuare informații despre comenzi și livrări.",
        "unsubscribe_all": "Dezabonare de la toate ofertele și reamintirile",
        "unsubscribed": (
            "V-ați dezabonat de la toate ofertele și reamintirile. Veți primi în continuare "
            "informații despre comenzi și livrări."
        ),
        "bad_link_title": "Acest link nu funcționează",
        "bad_link": (
            "Linkul este incomplet sau a fost modificat. Vă rugăm să folosiți linkul din unul "
            "dintre e-mailurile noastre."
        ),
        "expired_title": "Acest link a expirat",
        "expired": "Vă rugăm să folosiți linkul dintr-un e-mail mai recent de la noi.",
        "bad_form_title": "Acest formular a expirat",
        "bad_form": (
            "Vă rugăm să deschideți din nou linkul din e-mail și să vă faceți încă o dată "
            "alegerile."
        ),
        "not_ready_title": "Un moment, vă rugăm",
        "not_ready": (
            "Încărcăm alegerile dumneavoastră. Vă rugăm să încercați din nou în câteva secunde."
        ),
        "bad_input_title": "Nu a funcționat",
        "bad_input": (
            "O parte din formular nu a putut fi înțeleasă: %(what)s. Vă rugăm să reveniți și să "
            "încercați din nou."
        ),
        "closed_title": "Preferințele pentru mesaje nu sunt disponibile",
        "closed": "Acest magazin nu a activat pagina de preferințe pentru mesaje.",
    },
    "lv": {
        "title": "Jūsu ziņojumi no veikala %(shop)s",
        "intro": (
            "Izvēlieties, par ko un kā veikals %(shop)s Jūs informēs. Jūsu izvēle attieksies uz "
            "nākamajiem ziņojumiem jau pēc dažām sekundēm."
        ),
        "grid_caption": "Ko saņemat un pa kuru kanālu",
        "category": "Ziņojumi",
        "orders": "Informācija par pasūtījumu",
        "orders_hint": "apstiprinājums, maksājums, atcelšana, atmaksa",
        "shipping": "Nosūtīšana un piegāde",
        "shipping_hint": "nosūtīts, nodots piegādei, piegādāts, kavējumi",
        "reviews": "Atsauksmju lūgumi",
        "reviews_hint": "jautājam, kā Jums patīk iegādātās preces",
        "offers": "Piedāvājumi un atgādinājumi",
        "offers_hint": "piedāvājumi un iepirkumu grozā atstātās preces",
        "email": "E-pasts",
        "sms": "SMS",
        "push": "Pārlūka paziņojumi",
        "switch_label": "%(category)s – %(channel)s",
        "contact_note": (
            "Lai saņemtu SMS, Jūsu kontā jābūt norādītam mobilā tālruņa numuram, bet pārlūka "
            "paziņojumiem – pārlūkam, kurā tie ir atļauti."
        ),
        "quiet_legend": "Klusuma laiks",
        "quiet_hint": (
            "Šajā laikā (pēc Jūsu vietējā laika) mēs nesūtām SMS un pārlūka paziņojumus. Ja abi "
            "laiki ir vienādi, klusuma laiks netiek izmantots."
        ),
        "quiet_from": "No",
        "quiet_to": "Līdz",
        "pause_label": "Apturēt piedāvājumus un atgādinājumus uz 30 dienām",
        "paused_until": "Piedāvājumi un atgādinājumi ir apturēti līdz %(date)s.",
        "save": "Saglabāt izvēli",
        "saved": "Saglabāts. Nākamie ziņojumi tiks sūtīti atbilstoši Jūsu izvēlei.",
        "unsubscribe_legend": "Vairs nesaņemt piedāvājumus",
        "unsubscribe_hint": "Informāciju par pasūtījumiem un piegādi Jūs saņemsiet arī turpmāk.",
        "unsubscribe_all": "Atteikties no visiem piedāvājumiem un atgādinājumiem",
        "unsubscribed": (
            "Jums vairs netiks sūtīti piedāvājumi un atgādinājumi. Informāciju par pasūtījumiem un "
            "piegādi Jūs saņemsiet arī turpmāk."
        ),
        "bad_link_title": "Šī saite nedarbojas",
        "bad_link": (
            "Saite ir nepilnīga vai mainīta. Lūdzu, izmantojiet saiti kādā no mūsu e-pastiem."
        ),
        "expired_title": "Šī saite vairs nav derīga",
        "expired": "Lūdzu, izmantojiet saiti kādā no mūsu jaunākajiem e-pastiem.",
        "bad_form_title": "Šī veidlapa vairs nav derīga",
        "bad_form": "Lūdzu, vēlreiz atveriet saiti no sava e-pasta un atkārtoti izdariet izvēli.",
        "not_ready_title": "Lūdzu, uzgaidiet",
        "not_ready": "Ielādējam Jūsu izvēli. Lūdzu, mēģiniet vēlreiz pēc dažām sekundēm.",
        "bad_input_title": "Neizdevās",
        "bad_input": (
            "Daļu veidlapas neizdevās saprast: %(what)s. Lūdzu, atgriezieties un mēģiniet vēlreiz."
        ),
        "closed_title": "Ziņojumu iestatījumi nav pieejami",
        "closed": "Šis veikals nav ieslēdzis ziņojumu iestatījumu lapu.",
    },
    "hu": {
        "title": "Az Ön üzenetei – %(shop)s",
        "intro": (
            "Válassza ki, miről és hogyan értesítse Önt a webáruház (%(shop)s). Beállításai néhány "
            "másodpercen belül már a következő üzenetekre is érvényesek."
        ),
        "grid_caption": "Miről kap üzenetet, és milyen csatornán",
        "category": "Üzenetek",
        "orders": "Rendelési értesítések",
        "orders_hint": "visszaigazolás, befizetés, törlés, visszatérítés",
        "shipping": "Szállítás és kézbesítés",
        "shipping_hint": "feladva, kiszállítás alatt, kézbesítve, késés",
        "reviews": "Értékelési felkérések",
        "reviews_hint": "megkérdezzük, hogy tetszik, amit vásárolt",
        "offers": "Ajánlatok és emlékeztetők",
        "offers_hint": "ajánlatok, valamint a kosarában hagyott termékek",
        "email": "E-mail",
        "sms": "SMS",
        "push": "Böngészőértesítések",
        "switch_label": "%(category)s – %(channel)s",
        "contact_note": (
            "SMS-hez mobiltelefonszám szükséges a fiókjában, böngészőértesítésekhez pedig egy "
            "böngésző, amelyben engedélyezte őket."
        ),
        "quiet_legend": "Csendes időszak",
        "quiet_hint": (
            "Ebben az időszakban (helyi idő szerint) nem küldünk SMS-t és böngészőértesítést. Ha a "
            "két időpont azonos, nincs csendes időszak."
        ),
        "quiet_from": "Kezdete",
        "quiet_to": "Vége",
        "pause_label": "Ajánlatok és emlékeztetők szüneteltetése 30 napig",
        "paused_until": "Az ajánlatok és emlékeztetők szünetelnek eddig: %(date)s.",
        "save": "Beállítások mentése",
        "saved": "Mentve. A következő üzenetei már a beállításai szerint érkeznek.",
        "unsubscribe_legend": "Nem kérek több ajánlatot",
        "unsubscribe_hint": (
            "A rendeléseivel és a kézbesítéssel kapcsolatos értesítéseket továbbra is megkapja."
        ),
        "unsubscribe_all": "Leiratkozás minden ajánlatról és emlékeztetőről",
        "unsubscribed": (
            "Leiratkozott minden ajánlatról és emlékeztetőről. A rendeléseivel és a kézbesítéssel "
            "kapcsolatos értesítéseket továbbra is megkapja."
        ),
        "bad_link_title": "Ez a link nem működik",
        "bad_link": (
            "A link hiányos, vagy módosították. Kérjük, használja valamelyik e-mailünkben "
            "található linket."
        ),
        "expired_title": "Ez a link lejárt",
        "expired": "Kérjük, használja egy újabb e-mailünkben található linket.",
        "bad_form_title": "Ez az űrlap lejárt",
        "bad_form": (
            "Kérjük, nyissa meg újra az e-mailjében található linket, és adja meg ismét a "
            "beállításait."
        ),
        "not_ready_title": "Egy pillanat",
        "not_ready": "Betöltjük a beállításait. Kérjük, néhány másodperc múlva próbálja újra.",
        "bad_input_title": "Ez nem sikerült",
        "bad_input": (
            "Az űrlap egy részét nem tudtuk értelmezni: %(what)s. Kérjük, lépjen vissza, és "
            "próbálja újra."
        ),
        "closed_title": "Az értesítési beállítások nem érhetők el",
        "closed": "Ez a webáruház nem kapcsolta be az értesítési beállítások oldalát.",
    },
    "ja": {
        "title": "%(shop)sからのお知らせ設定",
        "intro": (
            "%(shop)sからお送りするお知らせの内容と受け取り方法をお選びください。"
            "設定は数秒以内に次回以降のお知らせに反映されます。"
        ),
        "grid_caption": "受け取るお知らせと通知方法",
        "category": "お知らせ",
        "orders": "ご注文に関するお知らせ",
        "orders_hint": "ご注文確認、お支払い、キャンセル、返金",
        "shipping": "発送・配達のお知らせ",
        "shipping_hint": "発送、配達中、お届け完了、遅延",
        "reviews": "レビューのお願い",
        "reviews_hint": "ご購入商品のご感想をお伺いするお知らせ",
        "offers": "お得な情報とリマインダー",
        "offers_hint": "お得な情報や、カートに残っている商品のお知らせ",
        "email": "メール",
        "sms": "SMS",
        "push": "ブラウザ通知",
        "switch_label": "%(channel)sで受け取る%(category)s",
        "contact_note": (
            "SMSの受信にはアカウントへの携帯電話番号の登録が、"
            "ブラウザ通知の受信には通知を許可したブラウザが必要です。"
        ),
        "quiet_legend": "通知を控える時間帯",
        "quiet_hint": (
            "この時間帯（お住まいの地域の時刻）はSMSとブラウザ通知をお送りしません。"
            "開始と終了を同じ時刻にすると、通知を控える時間帯はなくなります。"
        ),
        "quiet_from": "開始",
        "quiet_to": "終了",
        "pause_label": "お得な情報とリマインダーを30日間停止する",
        "paused_until": "お得な情報とリマインダーは%(date)sまで停止中です。",
        "save": "設定を保存する",
        "saved": "保存しました。次回以降のお知らせは、この設定に従ってお送りします。",
        "unsubscribe_legend": "お得な情報の配信停止",
        "unsubscribe_hint": "ご注文や配達に関するお知らせは引き続きお送りします。",
        "unsubscribe_all": "お得な情報とリマインダーの配信をすべて停止する",
        "unsubscribed": (
            "お得な情報とリマインダーの配信をすべて停止しました。"
            "ご注文や配達に関するお知らせは引き続きお送りします。"
        ),
        "bad_link_title": "このリンクは無効です",
        "bad_link": (
            "リンクが不完全か、変更されています。"
            "当店からお送りしたメールに記載のリンクをご利用ください。"
        ),
        "expired_title": "このリンクは有効期限が切れています",
        "expired": "当店からお送りした、より新しいメールに記載のリンクをご利用ください。",
        "bad_form_title": "このフォームは有効期限が切れています",
        "bad_form": "お手数ですが、メールのリンクをもう一度開き、改めて設定してください。",
        "not_ready_title": "少々お待ちください",
        "not_ready": "現在、設定を読み込んでいます。数秒後にもう一度お試しください。",
        "bad_input_title": "処理できませんでした",
        "bad_input": (
            "フォームの一部を読み取れませんでした：%(what)s。お手数ですが、"
            "前のページに戻ってもう一度お試しください。"
        ),
        "closed_title": "お知らせ設定はご利用いただけません",
        "closed": "このショップでは、お知らせ設定ページが有効になっていません。",
    },
}
