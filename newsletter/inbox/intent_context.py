"""English phrase tables for what surrounds a request (intent_phrases.py has the requests themselves): complaints,
other senders' opt-out footers and notices, the unsubscribe link named rather than used, referrals, other senses of
the same words, one-off asks, personal-data requests, pauses, offers and other addresses of the reader's. Same
entry shape, folding and macros as intent_phrases.py; listed first there, so these particular phrases win over the
request words inside them.
"""

from __future__ import annotations

# fmt: off
CONTEXT: list[tuple[str, str, str, str]] = [
    # --- complaints: the reader did not ask, or cannot leave ---
    ("COMPLAINT", "", "", r"why (?:am|are|do|does|did|was|were|have|is|are you|do you|did you|have you|does this)"),
    ("COMPLAINT", "", "", r"(?:still|keeps|kept|continue to|continuing to) (?:on )?(?:receiving|getting|receive|get)"),
    ("COMPLAINT", "", "", r"(?:i|we|you) (?:keep|kept) (?:on )?(?:receiving|getting|sending)"),
    ("COMPLAINT", "", "", r"{iam} still"),
    ("COMPLAINT", "", "", r"without (?:my|our|any) (?:consent|permission|knowledge|approval|request|asking)"),
    ("COMPLAINT", "", "", r"who (?:gave|gives|has given) (?:you )?(?:my|our)"),
    ("COMPLAINT", "", "", r"how did (?:you|u) get (?:my|our|hold of)"),
    ("COMPLAINT", "", "", r"(?:you|someone|somebody|someone else|somebody else|they|who) (?:has |have |"
        r"must have )?(?:subscribed|added|signed up|signed|registered|enrolled|put) (?:me|us|my)"),
    ("COMPLAINT", "", "", r"(?:this is|it is|it's|these are|this looks like) (?:spam|junk|unsolicited)"),
    ("COMPLAINT", "", "", r"(?:my|our|a) (?:\S+ )?{person} (?:has |have |must have |might have |"
        r"may have )?(?:subscribed|added|signed up|registered|enrolled|put) (?:me|us|my)"),
    ("COMPLAINT", "", "", r"{iam} not (?:receiving|getting)|(?:i|we)(?: have|'ve)? not (?:been )?(?:receiving|"
        r"getting|received)|(?:have not|haven't|havent|did not|didn't|never) (?:been )?(?:receiv|get|got)\w*"),
    ("COMPLAINT", "", "", r"(?:unsolicited|spam|spamming|junk mail)"),
    ("COMPLAINT", "", "", r"(?:not|no longer|never) (?:at all )?interested(?! in (?:receiving|getting|this|these|"
        r"the newsletter|your))"),
    ("COMPLAINT", "", "", r"no interest"),
    ("COMPLAINT", "", "", r"(?:can not|cannot|can't|cant|unable to|not able to|could not|couldn't|failed to|fail to|"
        r"tried to|try to|trying to|tried) (?:to )?(?:un-?subscribe|opt out|remove|find|locate|get off|stop|leave|"
        r"use)"),
    ("COMPLAINT", "", "neg", r"(?:never|not|n't|didn't|did not|have not|haven't|had not) (?:ever )?(?:signed up|"
        r"subscribed|asked|requested|opted in|agreed|consented|registered|wanted)"),
    # --- footers, notices, instructions addressed to the reader by another sender ---
    ("FOOTER", "", "", r"^(?:to|in order to) (?:un-?subscribe|opt out|stop receiving|subscribe|sign up|update|change|"
        r"manage)"),
    ("FOOTER", "", "", r"if (?:you|u) (?:would like|wish|want|prefer|no longer wish|no longer want|do not wish|"
        r"don't wish|do not want|don't want|'d like|would rather not|would prefer not) to (?:un-?subscribe|opt out|"
        r"stop|subscribe|receive|no longer|be removed|unsubscribe)"),
    ("FOOTER", "", "", r"(?:do not|don't|dont|no longer) (?:want|wish) (?:to receive )?(?:these|this|our|such|"
        r"future) (?:e-?mails|messages|mails|updates|newsletters?)\?"),
    ("FOOTER", "", "", r"(?:you|u) (?:can|may|could|will be able to|are able to|can always|"
        r"may always) (?:always )?(?:un-?subscribe|opt out|update|change|manage|stop)"),
    ("FOOTER", "", "", r"(?:you|u)(?: are| were| have been|'re|'ve been) (?:receiving|sent|getting) (?:this|these)"),
    ("FOOTER", "", "", r"(?:you|u)(?: are| were|'re) receiving"),
    ("FOOTER", "", "", r"(?:you|u) (?:received|receive|got|get) (?:this|these) (?:e-?mail|message|mail|newsletter|"
        r"because)"),
    ("FOOTER", "", "", r"(?:you|u)(?: have|'ve)?(?: been)?(?: successfully)? (?:subscribed|unsubscribed|signed up|"
        r"registered|opted in|removed)"),
    ("FOOTER", "", "", r"(?:you|u)(?: are|'re)(?: now)? (?:subscribed|on the list|registered)"),
    ("FOOTER", "", "", r"(?:thank you|thanks) for (?:subscribing|signing up|your subscription|joining|registering|"
        r"your interest in)"),
    ("FOOTER", "", "", r"your subscription (?:has been|is|was|will)"),
    ("FOOTER", "", "", r"(?:click|tap) (?:here |the link |on the link |below )?(?:to )?(?:un-?subscribe|opt out|"
        r"manage|update|stop)"),
    ("FOOTER", "", "", r"un-?subscribe (?:here|below|at any time|anytime|instantly|with one click|link:)"),
    ("FOOTER", "", "", r"(?:manage|update|change|edit) your (?:subscription|e-?mail preferences|preferences|"
        r"mailing preferences|profile)|(?:manage|update) (?:subscription|e-?mail preferences|preferences)"),
    ("FOOTER", "", "", r"(?:e-?mail|mailing|communication) preferences"),
    ("FOOTER", "", "", r"(?:this|the) (?:e-?mail|message|newsletter) (?:was|has been|is) (?:sent|addressed|intended)"),
    ("FOOTER", "", "", r"view(?: this| it| the e-?mail)?(?: e-?mail)? (?:in|on) (?:your|a|the)(?: web)? browser"),
    ("FOOTER", "", "", r"(?:privacy policy|all rights reserved|terms of use|intended recipient|is confidential|"
        r"this e-?mail and any|disclaimer|consider the environment|do not reply to this|automated message|"
        r"auto-?generated)"),
    ("FOOTER", "", "", r"reply (?:with|stop|unsubscribe|to this e-?mail with)"),
    ("FOOTER", "", "", r"(?:is|are) sent by (?:its|the|our) editors?"),
    ("FOOTER", "", "", r"forward (?:this |it )?to a friend"),
    # --- the unsubscribe link, named rather than used ---
    ("LINK", "", "", r"un-?subscribe (?:link|button|option|page|url|form|process|feature|request form|footer|line)s?"),
    ("LINK", "", "", r"un-?subscribe (?:is |does |did |was )?(?:not working|doesn't work|does not work|isn't working|"
        r"didn't work|did not work|failed|fails|broken|error|problem|issue)"),
    ("LINK", "", "", r"(?:link|button|option) to un-?subscribe"),
    ("LINK", "", "", r"opt-?out (?:link|button|option|page)s?"),
    # --- someone gave the reader the newsletter: the reader, not they, asks ---
    ("REFERRAL", "", "", r"(?:my|a|our) {person} (?:of mine )?(?:who )?(?:has |had )?(?:forwarded|shared|recommended|"
        r"suggested|told|sent|showed|introduced|mentioned|passed(?! away)|referred|gave)"),
    ("REFERRAL", "", "", r"(?:forwarded|shared|recommended|suggested|passed|sent|mentioned|introduced|showed|shown|"
        r"referred|given) (?:this |it |the newsletter |your newsletter |the digest |india and the world |the link |"
        r"the issue |this issue |the article |your e-?mail )?(?:on )?(?:to |with )?(?:me|us)"),
    ("REFERRAL", "", "", r"(?:told|informed) (?:me|us) (?:about|of)"),
    ("REFERRAL", "", "", r"(?:recommended|suggested|forwarded|shared|introduced|referred) (?:to me |to us )?by"),
    ("REFERRAL", "", "", r"(?:through|via|from) (?:my|a|our) {person}"),
    # --- other senses of the same words ---
    ("SENSE", "", "", r"(?:(?:i|we)(?: fully| wholly| entirely| completely| do not| don't| also| too| do| never|"
        r" would)? )?subscribe (?:\w+ly )?to (?:\S+ ){0,3}?(?:views?|ideas?|notion|theory|theories|argument|opinions?|"
        r"position|thesis|beliefs?|school of thought|line of thinking|approach|assessment|analysis|principles?|"
        r"philosophy|doctrine|concept|interpretation|narrative|perspective|stance|idea|line|stand|reading|logic|"
        r"case|conclusions?)\b"),
    ("SENSE", "", "", r"(?:recommend|recommended|recommending|forward|forwarded|forwarding|share|shared|sharing|"
        r"circulate|circulated|circulating|pass|passed|passing|introduce|introduced|spread|spreading|suggest|"
        r"suggested|show|showed)(?: (?:it|this|them|the newsletter|your newsletter|the digest|your digest|"
        r"india and the world|the issue|this issue|these issues|the article|your articles|the link|"
        r"the word))?(?: on)? (?:to|with|among|amongst)"),
    ("SENSE", "", "", r"(?:publish|published|publishing|republish|reprint|feature|featured|carry|run|"
        r"consider)(?: (?:my|our|the|this|an|a|their))? (?:article|piece|op-?ed|essay|paper|book|review|"
        r"letter to the editor|press release|story|interview|report|column|analysis|announcement|research)"),
    ("SENSE", "", "", r"(?:submit|submitting|share|sharing|pitch|pitching|send|sending) (?:an?|my|our|"
        r"this) (?:article|piece|op-?ed|essay|manuscript|paper|pitch|contribution|guest post|story|press release|"
        r"book)"),
    ("SENSE", "", "", r"(?:write|writing|contribute|contributing) (?:an? \w+ )?(?:for|to) (?:the newsletter|"
        r"your newsletter|india and the world|your digest|your publication|you|india writes)"),
    ("SENSE", "", "", r"(?:subscribe|sign up|join|follow) (?:to |for )?(?:our|my) (?:channel|newsletter|blog|podcast|"
        r"list|mailing list|updates|page|community|substack|youtube|feed|network)"),
    ("SENSE", "", "", r"(?:follow|find|like) (?:us|me|our page) on"),
    ("SENSE", "", "", r"(?:told|tell|telling|spoken|spoke|talked|talk) (?:\S+ ){0,4}?about\b"),
    ("SENSE", "", "", r"(?:(?:i|we)(?: have|'ve| had|'d| also| always)? )?(?:asked|urged|encouraged|told|advised|"
        r"invited|got|asking|urging|encouraging|telling|advising|inviting|require|required|requiring) (?!(?:you|u)\b)"
        r"(?:\S+ ){1,8}?to (?:subscribe|sign up|join|read|follow)"),
    ("SENSE", "", "", r"join (?:us|our) (?:for|at|on|in)"),
    ("SENSE", "", "", r"(?:cover|covering|coverage of) (?:our|the|this) (?:event|launch|conference|release|summit)"),
    ("SENSE", "", "", r"(?:media|press) (?:coverage|invite|invitation|accreditation)"),
    # --- one thing rather than the newsletter ---
    ("ONEOFF", "", "", r"(?:send|forward|mail|email|share) (?:me|us) (?:the |a |your |that |this |an )?(?:link|pdf|"
        r"copy|back issue|past issues|previous issue|last issue|latest issue|archive|last newsletter|"
        r"latest newsletter)"),
    ("ONEOFF", "", "", r"(?:can|could|may) (?:i|we) (?:get|have) (?:the |a )?(?:link|pdf|copy|back issue|"
        r"previous issue|last issue)"),
    # --- the reader's personal data: the editor answers that (newsletter subscribers show / forget) ---
    ("DATA", "", "", r"(?:erase|erasure|delete|deletion|remove|removal|wipe|purge) (?:of )?(?:all )?"
        r"(?:(?:my|our|the) )?"
        r"(?:personal )?(?:data|information|records|data you hold)"),
    ("DATA", "", "", r"personal (?:data|information)|right (?:to|of) (?:be forgotten|erasure|access)|data protection|"
        r"dpdp|gdpr|what (?:data|information) (?:do )?(?:you|u) (?:hold|have|keep|store)"),
    # --- a pause, not a stop ---
    ("PAUSE", "", "", r"pause|paused|pausing|put (?:\S+ ){0,3}?on hold|on hold|temporarily|temporary (?:stop|break|"
        r"halt|suspension)|suspend|suspended|(?:until|till|untill|til) (?:i|we|my|the end|next|further notice|"
        r"(?:mid-?|the end of |end of |early |late )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
        r"\d)"),
    # --- an offer made to the reader ---
    ("OFFER", "", "", r"(?:would|do|will) (?:you|u) (?:like|want|wish|care) (?:us|me) to (?:add|include|subscribe|"
        r"send|put|sign|enrol|enroll)"),
    ("OFFER", "", "", r"(?:shall|should|may|can|could) (?:i|we) (?:add|include|subscribe|sign|put|enrol|enroll|send)"
        r" (?:you|your)"),
    ("OFFER", "", "", r"(?:would|do|will) (?:you|u) (?:like|want|wish|care|be interested) (?:to|in) (?:subscribe|"
        r"subscribing|sign up|signing up|join|joining|receive|receiving|get|getting)"),
    # --- another address of the reader's, not the one writing ---
    ("OTHERADDR", "", "", r"(?:my|our) (?:work|office|official|other|new|old|personal|alternate|alternative|second|"
        r"secondary|another|previous|former|college|university|company|corporate|institutional|current|updated|"
        r"backup|husband's|wife's) (?:e-?mail|mail|address|id|e-?mail id|mail id|e-?mail address|inbox|account)"),
    ("OTHERADDR", "", "", r"(?:another|a different|other|a new|the new|the old|this other|the other)(?: e-?mail|"
        r" mail)? (?:address|id|account|inbox)"),
    ("OTHERADDR", "", "", r"(?:instead of|rather than|in place of) (?:this|my|the current)"),
    ("OTHERADDR", "subscribe", "", r"(?:my|our) (?:e-?mail|mail|address|e-?mail address|e-?mail id|mail id) (?:has |"
        r"have )?(?:changed|is changing|will change)|(?:the|my) new (?:one|e-?mail|address|id) is"),
    ("OTHERADDR", "subscribe", "", r"(?:replace|swap|substitute) (?:me|my (?:e-?mail|name|address|id)) (?:with|by)"),
    ("OTHERADDR", "subscribe", "", r"(?:change|update|replace|switch|correct|modify) (?:my|our|the) (?:registered |"
        r"subscribed |current )?(?:e-?mail|mail|address|id|e-?mail address|e-?mail id|mail id)"),
]
# fmt: on
