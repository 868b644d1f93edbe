"""English phrase tables for reading a reader's request (intent.py), as small regular expressions over folded
text (lower case, plain quotes; see intent_cues.fold). A space matches any run of spaces; {name} is one of
MACROS. Indian, British and American usage, formal letters and texting ("pls add my mail id", "kindly
include me in your mailing list", "unsub", "I'd like to stop receiving these").

Each entry is (category, direction, flags, pattern). Categories are tried in the order of CATEGORIES at each
position, so a longer, more particular phrase listed early wins over the words inside it ("do not send me" is a
request to unsubscribe, not a negation followed by "send me"). Flags on requests:
- own:  the phrase names the sender as its object ("add me", "remove my email id"): a request as it stands;
- self: the phrase is a request as it stands ("subscription request", "I no longer wish to receive");
- bare: a request only when asked for ("please", "I would like to", or the imperative at the start);
- obj:  as bare, and only with an object that is this newsletter in the same clause ("receive your newsletter");
- send: negated, it asks to stop ("do not send").
"""

from __future__ import annotations

from newsletter.inbox.intent_context import CONTEXT

CATEGORIES = (
    "EMAIL",  # an email address
    "URL",
    "COMPLAINT",  # why am I receiving this, I never signed up, I can't unsubscribe, not interested
    "FOOTER",  # an opt-out footer or a notice: "to unsubscribe, click here", "you are receiving this because"
    "LINK",  # the unsubscribe link itself, usually in a complaint that it is broken
    "REFERRAL",  # someone else gave the reader the newsletter: "my friend forwarded it to me"
    "SENSE",  # another sense of the words: subscribe to a view, publish an article, recommend to a friend
    "ONEOFF",  # one thing, not the newsletter: "send me the PDF of the article"
    "DATA",  # the reader's personal data: erase it, show it (DPDP Act, GDPR): more than an unsubscribe
    "PAUSE",  # a pause, not a stop: "pause sending until June", "put my subscription on hold"
    "OFFER",  # an offer to the reader: "would you like us to add you?" (in quoted text: what a "yes" answers)
    "OTHERADDR",  # another address of the reader's: "my work email"
    "KEEP",  # stay subscribed
    "UNSUB",
    "SUB",
    "STATUS",  # already subscribed, a long-time reader
    "PAST",  # what happened before: "I subscribed last year", "I asked to be removed"
    "QUESTION",  # how do I subscribe?
    "POLITE",  # an "if" that is only polite: "if possible", "if you could"
    "COND",  # a real condition or doubt: if, unless, not sure whether
    "FRAME",  # what makes a verb a request: please, kindly, I would like to, could you
    "LATER",  # an intention, not a request: I'll subscribe later, I may unsubscribe
    "MISTAKE",  # by mistake, accidentally: with an unsubscribe, what a request to stay undoes
    "NEG",  # not, never, no need to
    "THIRD",  # someone else: my colleague, my wife, him, her
    "OWN",  # the sender: me, my, I
    "OBJ",  # this newsletter: flags strong (subscription words), name (its names), weak (it, these, emails)
    "OTHER",  # something else: a webinar, an event, membership, a WhatsApp group, the print magazine
    "FEEDBACK",  # a comment on the content: great piece, thank you for
)

_ADDRESS = (
    r"(?:(?:e-?mail|mail|gmail) ?(?:id|ids|address|addresses|adress|addr|account)|e-?mails?|e-?mail ?ids?|mail ?ids?"
    r"|mails?|id|address|name|names|contact(?: details)?|details|inbox|mailbox|account)"
)
MACROS = {
    "please": r"(?:please|pls|plz|plse|plss|pleez|plez|pl|kindly|kndly|kindy)",
    "you": r"(?:you|u)",
    "your": r"(?:your|ur|yr|the|this|that)",
    "dont": r"(?:do not|don't|dont|do nt)",
    "iam": r"(?:i am|i'm|im|i m|we are|we're)",
    "iwould": r"(?:i would|i'd|id|i wud|we would|we'd|i should|we should)",
    "me": r"(?:me|myself|us)",
    "own": (
        r"(?:me|myself|us|(?:my|our) (?:official |personal |e-?mail |mail )?"
        + _ADDRESS
        + r"|(?:this|the above|the same|above|given|below|following|mentioned) "
        + _ADDRESS
        + r"|this one)"
    ),
    "to": r"(?:to|in|into|on|onto|in to)",
    "send": r"(?:send|sending|mail|mailing|email|emailing|e-mail|e-mailing|forward|forwarding|snd)",
    "person": (
        r"(?:colleagues?|friends?|wife|husband|spouse|partner|sons?|daughters?|father|mother|dad|mum|mom|parents?"
        r"|brothers?|sisters?|boss|manager|team|team members?|students?|staff|secretary|assistant"
        r"|professors?|teachers?|uncle|aunt|cousins?|niece|nephew|relatives?|neighbou?r|classmates?|juniors?|seniors?"
        r"|members|employees|pa|clients?|ceo|director|supervisor|guide|mentor|in-laws?|grand(?:father|mother)|successor|replacement|predecessor|deputy)"
    ),
}

_STOP = r"(?:stop|quit|cease|discontinue)"
_JOIN = (
    r"(?:add|include|enrol|enroll|enlist|register|subscribe|resubscribe|re-subscribe|re-add|readd|reinclude|sub"
    r"|pop)"
)
_DROP = (
    r"(?:remove|delete|drop|unsubscribe|unsub|unenrol|unenroll|deregister|de-register|unlist|exclude|erase|purge"
    r"|scrub|strike|cancel|delist|de-list)"
)
_ADDED = (
    r"(?:added|included|subscribed|enrolled|enroled|registered|signed up|put on|listed|re-?added|resubscribed|entered"
    r"|enlisted)"
)
_REMOVED = r"(?:removed|deleted|unsubscribed|taken off|dropped|excluded|struck off|opted out|unlisted|erased)"
# "add my work email", "remove x@example.org": the verb alone, so that the address is judged as one.
_NAMED_ADDRESS = (
    r"(?= [\w.+'-]+@| (?:my|our|this) (?:\S+ ){0,2}?(?:e-?mails?|mails?|address|addresses|id|ids|inbox|account"
    r"|one)\b)"
)
_GOT = r"(?:receive|receiving|recieve|recieving|get|getting|be sent|be mailed)"

# fmt: off
ENGLISH: list[tuple[str, str, str, str]] = [
    *CONTEXT,
    # --- stay subscribed ---
    ("KEEP", "keep", "self", r"keep {own} (?:on|in|subscribed|on board)"),
    ("KEEP", "keep", "self", r"(?:keep|continue) (?:sending|mailing|emailing|them coming|it coming|up the)"),
    ("KEEP", "keep", "self", r"continue (?:to (?:send|receive|get|be on|be subscribed)|receiving|getting|"
        r"my subscription|subscribing|as a subscriber)"),
    ("KEEP", "keep", "self", r"(?:stay|remain) (?:subscribed|on|in|a subscriber)"),
    ("KEEP", "keep", "self", r"still (?:want|wish|like) to (?:receive|get|be|read)"),
    ("KEEP", "keep", "self", r"keep (?:on )?(?:receiving|getting|reading)"),
    ("KEEP", "keep", "self", r"(?:keep|continue|retain)(?: receiving| getting| sending| sending me)? (?:the|my|"
        r"your)(?: weekly| monthly)? (?:newsletter|digest|subscription|india and the world)"),
    ("KEEP", "keep", "self", r"{dont} (?:remove|unsubscribe|unsub|delete|drop|take) {own}"),
    ("KEEP", "keep", "self", r"{iam} not (?:leaving|unsubscribing|quitting|going anywhere|going to (?:leave|"
        r"unsubscribe))"),
    ("KEEP", "keep", "self", r"(?:do not|don't|dont|no need to|not) (?:want|wish|mean|intend|"
        r"need) to (?:un-?subscribe|be removed|leave|stop receiving|opt out)"),
    # --- unsubscribe ---
    ("UNSUB", "unsubscribe", "own", _DROP + r" {own}"),
    ("UNSUB", "unsubscribe", "own", r"(?:take|get|strike|cross|leave) {own} (?:off|out)"),
    ("UNSUB", "unsubscribe", "own", r"opt {me} out"),
    ("UNSUB", "unsubscribe", "own", r"(?:be|being|get|getting|have {own}) " + _REMOVED),
    ("UNSUB", "unsubscribe", "own", r"{own} (?:to be |be |should be |may be |must be )?" + _REMOVED),
    ("UNSUB", "unsubscribe", "own", _STOP + r" (?:sending|emailing|mailing|e-mailing|spamming|messaging|contacting"
        r"|forwarding|bothering)(?: (?:this|these|it|them|this newsletter|the newsletter|newsletters?|e-?mails"
        r"|mails))? (?:to )?{own}"),
    ("UNSUB", "unsubscribe", "own", r"(?:{dont}|never|please don't|pls dont) (?:send|email|mail|e-mail|"
        r"forward) (?:me|us|this|these|it|any more|anymore|further)"),
    ("UNSUB", "unsubscribe", "own", _DROP + _NAMED_ADDRESS),
    ("UNSUB", "unsubscribe", "bare", r"(?:un-?subscribe|unsub|opt ?-?out|unsubcribe|unsuscribe|unsubsribe)"),
    ("UNSUB", "unsubscribe", "bare ing", r"(?:un-?subscribing|opting out)"),
    ("UNSUB", "unsubscribe", "bare", r"remove(?=\W*$|\W+(?:please|pls|plz|kindly|asap|thanks|thank you)\W*$)"),
    ("UNSUB", "unsubscribe", "bare", r"stop(?=\W*$|\W+(?:it|this|now|please|pls|plz|kindly|asap|thanks|"
        r"thank you)\W*$)"),
    ("UNSUB", "unsubscribe", "self", r"(?:(?:i|we)(?: would|'d| should)? )?(?:prefer|rather|choose|like|wish|want)"
        r" not (?:to )?(?:receive|get|be sent|"
        r"be on|be subscribed)"),
    ("UNSUB", "unsubscribe", "obj pronoun", _DROP + r" (?:it|this|this one|the same) (?:from|off)"),
    ("UNSUB", "unsubscribe", "self", r"(?:(?:i|we) )?(?:want|wants|would like) out\b"),
    ("UNSUB", "unsubscribe", "self", r"(?:cancel|end|terminate|discontinue|stop|deactivate|withdraw|revoke|close)"
        r" (?:my |our |the |this )?(?:newsletter |e-?mail |e-?newsletter |free )?(?:subscription|"
        r"subscriptions|membership of the list)"),
    ("UNSUB", "unsubscribe", "self", r"(?:unsubscription|un-?subscribe|unsub|removal|opt-?out|"
        r"cancellation) (?:request|please|pls)"),
    ("UNSUB", "unsubscribe", "self", r"request (?:to|for) (?:un-?subscribe|unsubscription|removal|opt out|be removed|"
        r"cancel)"),
    ("UNSUB", "unsubscribe", "bare",
        _STOP + r" (?:sending|emailing|mailing|e-mailing|spamming|the mails|the e-?mails)"),
    ("UNSUB", "unsubscribe", "bare", r"stop (?:this|these|the|your|ur|all) (?:newsletters?|e-?mails|mails|mailers|"
        r"messages|digests?|spam|junk|e-?newsletters?)"),
    ("UNSUB", "unsubscribe", "self", r"no more (?:e-?mails|mails|newsletters|messages|mailers|spam|of (?:this|these|"
        r"your))"),
    ("UNSUB", "unsubscribe", "self", r"(?:{dont}|does not|doesn't|not) (?:want|wish|need|like) (?:to (?:receive|get|"
        r"be sent|be on|be subscribed|read)|these|this|them|it|any more|anymore|your|any (?:more |"
        r"further )?(?:e-?mails|mails|newsletters))"),
    ("UNSUB", "unsubscribe", "self", r"no longer (?:wish|want|like|need|care|wishes|wants) (?:to (?:receive|get|"
        r"be on|be subscribed|read)|it|this|these|them|the newsletter|your newsletter)"),
    ("UNSUB", "unsubscribe", "self", r"(?:no longer|not|not at all) (?:interested|keen) in (?:receiving|getting|"
        r"the newsletter|your newsletter|this newsletter|these)"),
    ("UNSUB", "unsubscribe", "bare", r"(?:stop|quit) (?:receiving|getting)"),
    ("UNSUB", "unsubscribe", "bare", r"(?:leave|exit|quit) (?:the|your|this|ur) (?:mailing |e-?mail )?(?:list|"
        r"newsletter|distribution)"),
    ("UNSUB", "unsubscribe", "bare", r"(?:take|get|be) (?:me |us )?off (?:of )?(?:the|your|this|ur)"),
    ("UNSUB", "unsubscribe", "obj", r"(?:remove|delete|drop|take|exclude|erase|strike) (?:from|off|out of)"),
    ("UNSUB", "unsubscribe", "obj", r"discontinue"),
    # --- subscribe ---
    ("SUB", "subscribe", "own", _JOIN + r" {own}"),
    ("SUB", "subscribe", "own", r"sign {me} ?(?:up|on)"),
    ("SUB", "subscribe", "own", r"sign-?up {me}"),
    ("SUB", "subscribe", "own", r"(?:put|get|list|have|pop) {own} (?:on|in|into|onto|down|added|included|subscribed|"
        r"enrolled|signed up|registered)"),
    ("SUB", "subscribe", "own", r"count {me} in"),
    ("SUB", "subscribe", "own", r"consider {own} for"),
    ("SUB", "subscribe", "obj", r"keep {own} (?:posted|updated|informed|in the loop)"),
    ("SUB", "subscribe", "own", r"opt {me} (?:back )?in"),
    ("SUB", "subscribe", "own", r"(?:be|being|get|getting) " + _ADDED),
    ("SUB", "subscribe", "own", r"{own} (?:to be |be |may be |should be |can be |could be |is to be |is |are )?"
        r"(?:also )?" + _ADDED),
    ("SUB", "subscribe", "own", _JOIN + _NAMED_ADDRESS),
    ("SUB", "subscribe", "bare", r"(?:re-?subscribe|subscribe|subcribe|suscribe|subscibe|subsribe|sub)"),
    ("SUB", "subscribe", "bare ing", r"(?:re-?subscribing|subscribing|signing up)"),
    ("SUB", "subscribe", "bare", r"add(?=\W*$|\W+(?:please|pls|plz|kindly|thanks|thank you)\W*$)"),
    ("SUB", "subscribe", "bare", r"(?:sign ?-?up|signup|opt ?-?in|enrol|enroll)"),
    ("SUB", "subscribe", "bare", r"(?:come|get|be) back (?:on ?-?board|on (?:the|your|ur) (?:mailing )?list|to (?:the|"
        r"your|ur) (?:mailing )?list)"),
    ("SUB", "subscribe", "own", r"(?:take|have|put|add|let) {me} back(?: on| in)?"),
    ("SUB", "subscribe", "self", r"(?:subscription|subscribe|newsletter subscription|new subscription|enrol?ment|"
        r"registration) (?:request|requested|please|pls|plz)"),
    ("SUB", "subscribe", "self", r"request(?:ing)? (?:for |of |to )?(?:a |the |newsletter |free |"
        r"an? e-?mail )?(?:subscription|subscribe|subscribing|enrol?ment|inclusion|be added|be included|registration|"
        r"add(?:ing)? (?:me|my))"),
    ("SUB", "subscribe", "bare", r"(?:become|be) (?:a |one of your )?(?:subscriber|recipient|regular recipient)s?"),
    ("SUB", "subscribe", "own", r"make {own} (?:a |one of your )?(?:subscriber|recipient|reader)s?"),
    ("SUB", "subscribe", "bare", r"(?:a|one) (?:free |complimentary |new )?subscription"),
    ("SUB", "subscribe", "bare", r"start (?:my |a )?(?:subscription|sending)"),
    ("SUB", "subscribe", "obj send", r"{send} {me}"),
    ("SUB", "subscribe", "obj send", r"(?:send|mail|email|forward)(?= (?:it|the same|them|this|these|the newsletter|"
        r"your newsletter|india and the world|future issues) (?:to )?(?:me|myself|us)\b)"),
    ("SUB", "subscribe", "obj send", r"(?:send|mail|email|forward)(?= (?:it|the same|them|this|these|the newsletter|"
        r"your newsletter|india and the world|future issues) to\b)"),
    ("SUB", "subscribe", "obj", _JOIN + r" {to}"),
    ("SUB", "subscribe", "obj", r"(?:join|rejoin|joining)"),
    ("SUB", "subscribe", "obj", _GOT),
    ("SUB", "subscribe", "obj", r"(?:be|get) (?:on|in|onto|part of|a part of|included in)"),
    ("SUB", "subscribe", "obj", r"(?:access|read|reading) (?:it |the newsletter )?regularly"),
    # --- how things stand, and what happened before ---
    ("STATUS", "", "", r"{iam} (?:already |now |also )?(?:a |an )?(?:regular |long-?time |loyal |devoted |happy |"
        r"avid |old )?(?:subscriber|reader|recipient|member of (?:the|your) (?:mailing )?list)"),
    ("STATUS", "", "", r"(?:i|we) (?:am|are|'m) (?:already )?subscribed"),
    ("STATUS", "", "", r"(?:my|our) subscription (?:\S+ ){0,6}?(?:is|has been) (?:still )?(?:working|fine|active|"
        r"ok|okay|running|in order)"),
    ("STATUS", "", "", r"(?:glad|happy|proud|delighted|pleased|honou?red) to be (?:a |an )?(?:subscriber|reader|"
        r"recipient|on (?:the|your) list|part of)"),
    ("STATUS", "", "", r"already (?:subscribed|a subscriber|on (?:the|your) (?:mailing )?list|receiving|getting|"
        r"registered|signed up|a reader)"),
    ("STATUS", "", "", r"(?:as|being) (?:a|an) (?:long-?time |regular |loyal |devoted |old |avid )?(?:subscriber|"
        r"reader)"),
    ("STATUS", "", "", r"(?:i|we) (?:already |also |currently |regularly |do |really )?subscribe to"),
    ("STATUS", "", "", r"(?:i|we) (?:already |also |currently |regularly |do |really )?(?:receive|get|read|enjoy|"
        r"look forward to)(?= (?:it|this|the|your|india and the world|every|each|regularly))"),
    ("STATUS", "", "", r"(?:have|'ve) been (?:a |an )?(?:reading|subscriber|reader|receiving|getting|following)"),
    ("PAST", "subscribe", "", r"(?:i|we)(?: have|'ve| had|'d)?(?: already| recently| just)? (?:subscribed|signed up|"
        r"registered|opted in|enrolled|joined)"),
    ("PAST", "unsubscribe", "", r"(?:i|we)(?: have|'ve| had|'d)?(?: already| recently| just)? (?:unsubscribed|"
        r"opted out|left)"),
    ("PAST", "", "far", r"(?:i|we)(?: have|'ve| had|'d)?(?: already| recently| just| earlier)? (?:requested|asked|"
        r"written|wrote|emailed|mailed|sent|clicked|replied)"),
    ("PAST", "subscribe", "", r"(?:was|were|been|got|had been|have been) " + _ADDED),
    ("PAST", "unsubscribe", "", r"(?:was|were|been|got|had been|have been) " + _REMOVED),
    ("PAST", "", "", r"(?:last|previous) (?:week|month|year|time)|(?:days|weeks|months|years) ago|earlier|previously"),
    # --- questions, conditions, intentions ---
    ("QUESTION", "", "", r"how (?:do|can|could|should|would|will|does|to|may)(?: (?:i|we|one|you))?"),
    ("QUESTION", "", "", r"how (?:i|we) (?:can|could|may)"),
    ("QUESTION", "", "", r"where (?:do|can|could|should|is|are|may)"),
    ("QUESTION", "", "", r"what (?:is|are|'s) the (?:process|procedure|steps|way|link|cost|fee|price|charge)"),
    ("QUESTION", "", "", r"(?:is|are) there (?:a|any) (?:way|option|form|link|process|page|fee|charge|cost|"
        r"newsletter)"),
    ("QUESTION", "", "", r"is it possible (?:to|for me to|for us to)"),
    ("QUESTION", "", "", r"do (?:you|u) (?:have|send|offer|publish|run|still)"),
    ("QUESTION", "", "", r"(?:do|does|should|shall|will|must) (?:i|we)\b"),
    ("QUESTION", "subscribe", "", r"(?:is|are) there (?:a|an|any) (?:\S+ ){0,2}?(?:option|newsletter|digest|"
        r"subscription|mailing list)"),
    ("QUESTION", "subscribe", "", r"(?:are|is) (?:you|it|the newsletter|india and the world) still (?:sending|"
        r"being sent|published|coming out|going|running)"),
    ("QUESTION", "", "", r"(?:is|does) (?:it|this|there) (?:free|still|available|weekly|monthly|daily|paid|cost)"),
    ("QUESTION", "subscribe", "", r"(?:is|does)(?= (?:the newsletter|the digest|india and the world|the subscription|"
        r"your newsletter) (?:free|still|available|weekly|monthly|daily|paid|cost))"),
    ("QUESTION", "unsubscribe", "", r"(?:did|have|has|was|were) (?:i|we|my (?:e-?mail|address|subscription))(?: been|"
        r" get| got)? (?:unsubscribed|removed|dropped|deleted|taken off)"),
    ("QUESTION", "subscribe", "", r"(?:am|are) (?:i|we) (?:still |already )?(?:subscribed|registered|on (?:the|"
        r"your) (?:mailing )?list)"),
    ("QUESTION", "", "", r"how much|(?:does|will|would) it cost|what does it cost|any (?:fee|charges?|cost)|"
        r"is there a charge"),
    ("QUESTION", "", "", r"why|what if"),
    ("POLITE", "", "", r"if (?:at all )?possible|if convenient|if (?:it is|it's) (?:not too much trouble|no trouble|"
        r"ok|okay|fine|alright|all right)"),
    ("POLITE", "", "", r"if (?:you|u) (?:could|would|can|will|may|kindly|please|pls|don't mind|do not mind|"
        r"wouldn't mind|would not mind)(?!n't| not|not)"),
    ("POLITE", "", "", r"if (?:that|this) (?:is|'s) (?:ok|okay|fine|alright|possible|all right)"),
    ("COND", "", "", r"(?:{iwould}|would) (?:love|like|have liked) to(?=(?: [^\s.]+){0,8}? but\b)"),
    ("COND", "", "", r"if|unless|in case|provided(?: that)?|as long as|only if|(?<!at\s)once(?! again| more)|"
        r"whenever|whether|otherwise"),
    ("COND", "", "", r"(?:{iam}|am) not (?:sure|certain)|{dont} know (?:if|whether)|not sure|undecided|depending on|"
        r"depends on"),
    ("FRAME", "", "", r"{please}|request(?:ing)? (?:you|u)|(?:i|we) (?:hereby )?(?:request|beg|ask you)"),
    ("FRAME", "", "", r"(?:{iwould}|i will|i'll|i shall|we will|we'll|i do|we do|i|we) (?:really |very much |also |"
        r"just )?(?:like|love|prefer|want|wish|need|wanna)(?: you)?(?: to)?"),
    ("FRAME", "", "", r"would (?:like|love)(?: to)?|(?:want|wants|wish|wishes|wanna) to"),
    ("FRAME", "", "", r"{iam} (?:writing|requesting|keen|eager|interested|looking|hoping|very interested|"
        r"really interested|willing)(?: in| to| for| on)?"),
    ("FRAME", "", "", r"(?:can|could|would|will|wud|cud|cn) (?:you|u)(?: please| kindly| pls)?|would you be able to"),
    ("FRAME", "", "", r"(?:may|can|could|might) (?:i|we)(?: please)?"),
    ("FRAME", "", "", r"(?:any|is there (?:any|a)) chance (?:that )?(?:i|we|you|u) (?:could|can|might|may)"),
    ("FRAME", "", "", r"(?:would|will) it be possible (?:to|for you to)"),
    ("FRAME", "", "", r"(?:i|we)(?: would| will| shall|'d|'ll) (?:be|feel) (?:very |most |highly |"
        r"really )?(?:grateful|thankful|obliged|happy|glad|delighted|pleased|honou?red)(?: if)?"),
    ("FRAME", "", "", r"it (?:would|will|'d) be (?:great|nice|wonderful|helpful|kind of you|appreciated|"
        r"a pleasure)(?: if)?"),
    ("FRAME", "", "", r"(?:i|we)(?: would| will|'d|'ll)? appreciate(?: it)?(?: if)?|(?:grateful|obliged|thankful) if"),
    ("FRAME", "", "", r"interested (?:in|to)|keen (?:on|to)|eager to|looking forward to|let (?:me|us)|help (?:me|us)|"
        r"do (?:please|kindly)"),
    ("LATER", "", "", r"(?:i|we)(?: will|'ll| shall| am going to|'m going to| are going to| plan to| am planning to|"
        r"'m planning to| intend to| might| may| could| am thinking|'m thinking| am considering|'m considering)"),
    ("LATER", "", "", r"(?:gonna|going to)|later|in the (?:near |distant )?future|next (?:week|month|year|time)|"
        r"some ?day|one day|eventually|perhaps|maybe|probably|at some point|thinking (?:of|about)|considering|"
        r"(?:at )?any ?time|after (?:my|the) (?:exams|trip|holidays)"),
    ("MISTAKE", "", "", r"by mistake|by accident|accidentally|inadvertently|mistakenly|in error|unintentionally|"
        r"without meaning to"),
    ("NEG", "", "past", r"(?:did not|didn't|didnt|never|have not|haven't|havent|had not|hadn't|was not|wasn't|"
        r"were not|weren't)"),
    ("NEG", "", "", r"{dont}|does not|doesn't|doesnt|not|no need (?:to|for)|need not|needn't|without|neither|nor|"
        r"won't|will not|wont|shouldn't|should not"),
    # --- who and what ---
    ("THIRD", "subscribe", "", _JOIN + r" (?:him|her|them|these|the following|(?:his|her|their) (?:\S+ )?"
        + _ADDRESS + r"|(?:my|our) (?:\S+ )?{person})"),
    ("THIRD", "unsubscribe", "", _DROP + r" (?:him|her|them|these|the following|(?:his|her|their) (?:\S+ )?"
        + _ADDRESS + r"|(?:my|our) (?:\S+ )?{person})"),
    ("THIRD", "subscribe", "", r"(?:forwarding|forwarded|passing on|sending) (?:this |it |the (?:message|mail|e-?mail|"
        r"request|note) )?(?:from|for|on behalf of) (?:my|a|our) (?:\S+ )?{person}"),
    ("THIRD", "", "", r"(?:my|our) (?:\S+ )?{person}(?:'s)?"),
    ("THIRD", "", "", r"(?:a|one) (?:\S+ )?(?:friend|colleague|relative|student|reader|acquaintance) of (?:mine|ours)"),
    ("THIRD", "", "general", r"(?:many|most|some|several|other|few|fellow|all|your|the|a lot of|lots of|plenty of)"
        r" (?:other )?(?:readers|subscribers|people|users|recipients)|(?:readers|subscribers|people) (?:like|who)"),
    ("THIRD", "", "", r"(?:all|each|both|some|many|most|several|two|three) of (?:us|them|our|my)|(?:our|"
        r"my) (?:whole |entire )?(?:team|embassy|department|organi[sz]ation|institute|staff|colleagues|group)"),
    ("THIRD", "", "", r"(?:him|her|his|their|he|she|they|someone|somebody|others|other people|this person|"
        r"these people|everyone|everybody|on behalf of)"),
    ("THIRD", "", "", r"(?:mr|mrs|ms|dr|prof|shri|smt|sri)\.? [a-z]+"),
    ("OWN", "", "", r"me|my|myself|mine|i|i'm|us|our"),
    ("OBJ", "", "strong", r"(?:newsletter |news letter )?subscriptions?"),
    ("OBJ", "", "strong", r"(?:mailing|mail|e-?mail|emailing|distribution|subscriber|subscribers|subscription|"
        r"contact|newsletter|news letter|mass mail|email-ing) ?-?lists?|mailinglist|listserv|e-?mail alerts?"),
    ("OBJ", "", "name", r"(?:e-?)?news ?-?letters?|digests?|india (?:and|&) the world|iatw|"
        r"bulletins?|mailers?|e-?bulletins?"),
    ("OBJ", "", "name", r"(?:weekly|fortnightly|monthly) (?:digest|newsletter|issue|mail|update|e-?mail)s?"),
    ("OBJ", "", "weak", r"it|this|these|those|the same|updates|e-?mails|mails|messages|issues|(?:new|each|every|next|"
        r"latest|future) issues?|lists?|anything|further (?:e-?mails|mails|communications?|updates)|communications?|"
        r"articles"),
    ("OTHER", "", "event", r"webinars?|events?|seminars?|conferences?|workshops?|panels?|panel discussions?|"
        r"book launch|launch|lectures?|talks?|sessions?|meetings?|meet-?ups?|round ?tables?|dialogues?|summits?|"
        r"symposi(?:um|a)|programmes?|courses?|internships?|jobs?|vacanc(?:y|ies)|fellowships?|scholarships?|"
        r"competitions?|contests?|quiz"),
    ("OTHER", "", "event", r"(?:speakers?|attendees?|participants?|delegates?|invitees?|invitations?|press|media|"
        r"donors?|volunteers?|alumni|members?|phone|broadcast|panel|panelists?|registration|rsvp|shortlisted|"
        r"candidates?|applicants?|students?|class|course|batch|events?|conference|seminar|webinar|workshop|guest|"
        r"invite|reading|waiting|wait) ?-?lists?"),
    ("OTHER", "", "event", r"contributors?|columnists?|pool of|roster|interviews?|slots?|invite list|invitations?|"
        r"invites|rsvp|forum|club|membership|members|"
        r"member|(?:whatsapp|telegram|facebook|linkedin|signal) groups?|groups?|reading list|waiting list|wait ?list|"
        r"shortlist"),
    # other mailings: perhaps what a reader calls this newsletter, when they name nothing else
    ("OTHER", "", "mailing", r"(?:daily|breaking[- ]news|news|morning|evening|e-?mail) (?:alerts?|updates|briefings?)|"
        r"news ?alerts?|alerts"),
    ("OTHER", "", "", r"(?:sms|job|price) (?:alerts?|updates|e-?mails|mails)|"
        r"whatsapp|telegram|linkedin|twitter|facebook|instagram|youtube|channel|podcasts?|blog|magazine|"
        r"print edition|print copy|hard ?copy|journal|press releases?|sms|text messages|phone calls|calls|invoices?|"
        r"bills|surveys?|polls?|donations?|fundraising|appeals?|promotions?|promotional|offers|advertisements|ads|"
        r"marketing|job alerts|alerts from|rate card|advertising|receipts?|refunds?|quarterly"),
    ("FEEDBACK", "", "", r"(?:thank you|thanks|thank u|thx) for|great (?:article|piece|issue|read|analysis|work|job|"
        r"newsletter|coverage|insights?|edition)|(?:enjoyed|loved|liked|appreciated|love|like|enjoy) (?:reading|the|"
        r"your|this|it)"),
    ("FEEDBACK", "", "", r"insightful|informative|excellent|well[- ]written|brilliant|fascinating|"
        r"keep up the good work|good work|kudos|congratulations|congrats|typo|factual error|correction|(?:i|"
        r"we) (?:dis)?agree|well researched|nicely done"),
]
# fmt: on
