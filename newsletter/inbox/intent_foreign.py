"""Phrase tables for requests in the foreign languages readers abroad write in most (French, Spanish, Portuguese,
German, Italian, Russian, Chinese, Japanese, Arabic, Indonesian): the common phrasings, as intent_languages
writes them (plain phrases, matched whole-word after folding; '*' drops the word boundary on its side).

Separable and ambiguous verbs are written whole: German "tragen Sie mich ein" subscribes and "tragen Sie mich aus"
unsubscribes, so neither is ever "tragen Sie mich" alone.
"""

from __future__ import annotations

from newsletter.inbox.intent_languages import table

# fmt: off
FOREIGN: dict[str, dict[tuple[str, str, str], list[str]]] = {
    "French": table(
        subscribe=[
            "abonnez-moi", "inscrivez-moi", "ajoutez-moi", "je voudrais m'abonner", "je souhaite m'abonner",
            "je veux m'abonner", "je souhaiterais m'abonner", "je voudrais recevoir", "je souhaite recevoir",
            "je souhaiterais recevoir", "merci de m'inscrire", "merci de m'ajouter", "je voudrais m'inscrire",
            "je souhaite m'inscrire", "m'inscrire", "m'abonner",
        ],
        unsubscribe=[
            "désabonnez-moi", "désinscrivez-moi", "retirez-moi", "supprimez-moi", "me désabonner", "me désinscrire",
            "je ne souhaite plus recevoir", "je ne veux plus recevoir", "merci de me retirer",
            "merci de me désinscrire", "ne plus recevoir", "désabonnement", "désinscription", "retirer cette adresse",
            "retirer mon adresse", "supprimer cette adresse", "supprimer mon adresse", "me retirer",
        ],
        frame=[
            "s'il vous plaît", "s'il vous plait", "svp", "merci de", "je voudrais", "je souhaite", "pourriez-vous",
            "pourriez vous", "je vous prie de", "veuillez",
        ],
        negation=["ne pas", "pas besoin", "ne veux pas", "ne souhaite pas"],
        condition=["si"],
        later=["plus tard", "peut-être"],
        question=["comment"],
        third=["mon collègue", "ma collègue", "mon ami", "mon amie", "ma femme", "mon mari"],
        topic=["liste de diffusion", "abonnement", "votre liste"],
        other=["séminaire", "colloque", "conférence", "événement", "atelier"],
        name=["lettre d'information", "infolettre"],
    ),
    "Spanish": table(
        subscribe=[
            "quiero suscribirme", "me gustaría suscribirme", "deseo suscribirme", "quisiera suscribirme",
            "quisiera recibir", "quiero recibir", "deseo recibir", "me gustaría recibir", "darme de alta",
            "suscríbanme", "inscríbanme", "agréguenme", "por favor suscribirme", "incluirme", "agregarme", "añadirme",
            "inscribirme", "suscribirme",
        ],
        unsubscribe=[
            "darme de baja", "dar de baja", "denme de baja", "cancelar mi suscripción", "no quiero recibir",
            "ya no quiero recibir", "ya no deseo recibir", "elimínenme", "quiero desuscribirme", "desuscribirme",
            "anular la suscripción", "eliminen mi correo", "den de baja", "me den de baja",
        ],
        frame=["por favor", "quisiera", "me gustaría", "les ruego", "le ruego", "podrían", "podría"],
        negation=["no quiero", "no deseo", "no necesito"],
        condition=["si"],
        later=["más tarde", "quizás", "tal vez"],
        question=["cómo"],
        third=["mi colega", "mi amigo", "mi amiga", "mi esposa", "mi esposo"],
        topic=["lista de correo", "suscripción", "lista de distribución"],
        other=["seminario", "evento", "congreso", "invitados", "conferencia"],
        name=["boletín"],
    ),
    "Portuguese": table(
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
    "German": table(
        subscribe=[
            "abonnieren", "möchte den newsletter erhalten", "nehmen sie mich in", "nehmen sie mich auf",
            "tragen sie mich in", "tragen sie mich ein", "anmelden", "möchte ihn erhalten",
            "nehmen sie meine adresse in",
            "nehmen sie meine e-mail-adresse in", "gern beziehen", "gerne beziehen", "regelmäßig beziehen",
        ],
        unsubscribe=[
            "abbestellen", "abmelden", "austragen", "entfernen sie mich", "nehmen sie mich aus", "tragen sie mich aus",
            "streichen sie mich", "keine e-mails mehr", "nehmen sie meine adresse aus", "streichen sie meine adresse",
            "löschen sie meine adresse", "entfernen sie meine adresse",
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
    "Italian": table(
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
    "Russian": table(
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
    "Chinese": table(
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
    "Japanese": table(
        subscribe=["*購読したい*", "*購読を希望*", "*購読をお願い*", "*登録してください*", "*登録をお願い*"],
        unsubscribe=["*購読を解除*", "*購読解除*", "*配信停止*", "*配信を停止*", "*登録解除*", "*解除してください*"],
        condition=["*もし*"],
        name=["*ニュースレター*", "*メールマガジン*", "*メルマガ*"],
    ),
    "Arabic": table(
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
    "Indonesian": table(
        subscribe=["saya ingin berlangganan", "mau berlangganan", "daftarkan saya", "tambahkan saya"],
        unsubscribe=["berhenti berlangganan", "hapus saya", "jangan kirim"],
        frame=["tolong", "mohon"],
        negation=["tidak", "tak"],
        condition=["jika", "kalau"],
    ),
}
# fmt: on
