"""The editor's mailbox: reading sources, classifying requests and bounces, applying them, answering.

- sources.py: where mail is read (IMAP, mbox, Maildir) and what was handled before
- text.py: what a person wrote: decoded headers, the new text above any quote
- authres.py: Authentication-Results and DMARC alignment (did the domain's owner send it?)
- rules.py: what a message asks of the newsletter (raw bytes and rules to a Decision)
- intent.py: reading a reader's request from their words: subscribe, unsubscribe, ignore or unsure, and why
  - intent_model.py (outcomes, Intent, Finding, Sentence), intent_sentences.py (cutting sentences),
    intent_cues.py and intent_patterns.py (finding phrases), intent_judge.py (judging a sentence),
    intent_answers.py (a short answer to a quoted offer)
  - phrase tables: intent_phrases.py and intent_context.py (English), intent_languages.py (Indian languages),
    intent_dravidian.py (Tamil, Telugu, Kannada, Malayalam), intent_foreign.py (readers abroad)
- review.py: the messages read as unsure, kept for the editor's decision (`newsletter inbox --review`)
- bounces.py, bounces_report.py, bounces_legacy.py, bounces_text.py: what a bounce or complaint says
- feedback.py: bounces and complaints applied to the list and counted as events
- decide.py: `newsletter inbox --review`, the editor deciding each message kept for review
- run.py: `newsletter inbox`, the decisions applied to subscribers.csv and answered
- replies.py: the emails sent back (welcome, confirmation request, goodbye)
"""
