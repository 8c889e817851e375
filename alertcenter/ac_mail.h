/* ac_mail: the outbox. Takes the mails ac_group composes, sends them one
 * at a time over SMTP with libcurl on a worker thread (STARTTLS or SMTPS,
 * AUTH when a user is set, every recipient in one transaction), and keeps
 * a mail until the server accepted it: a failed attempt is retried after
 * 1, 2, 4 ... s (at most retry_max), in order, for as long as it takes.
 * A mail leaves the outbox only after the server's final 250, so none is
 * lost and none is sent twice by alertcenter (an accepted mail whose 250
 * was lost on the way would be sent again: every attempt of one mail
 * carries the same Message-ID, so the receiving side can tell). The outbox
 * is in memory: bounded by ac_group (one mail per group). When stopped,
 * alertcenter mails what it holds at once and waits up to
 * mail.shutdown_wait s for it to go out (main.c); what could not be
 * delivered by then is lost, each such mail logged as an ERROR with its
 * subject (the alerts themselves are in Redis). Operator mails also go to the webhook when one is set
 * (POST {"text": ...} for Slack, with "chat_id" for Telegram's
 * sendMessage), 3 attempts each. */
#ifndef AC_MAIL_H
#define AC_MAIL_H

#include <ev.h>
#include <stdint.h>

#include "alertcenter/ac_config.h"
#include "alertcenter/ac_group.h"

typedef struct ac_mail ac_mail;

ac_mail *ac_mail_create(struct ev_loop *loop, const ac_config *cfg, ac_group *grp);
/* Mails still in the outbox are logged (ERROR, with their subjects) as lost. */
void ac_mail_free(ac_mail *m);
/* Nothing waits: no mail, no webhook post. */
bool ac_mail_idle(const ac_mail *m);

typedef struct ac_mail_stats {
    uint64_t sent;             /* mails the server accepted */
    uint64_t attempts_failed;
    uint64_t outbox;           /* mails waiting */
    uint64_t hooks_sent, hooks_failed;
    double last_sent;          /* unix time, 0 = never */
    char last_error[200];
} ac_mail_stats;
void ac_mail_stats_get(const ac_mail *m, ac_mail_stats *out);

/* The RFC 5322 text of a mail (CRLF lines, none longer than 998), malloc'd. */
char *ac_mail_payload(const char *from, const char *const *to, const char *subject,
                      const char *body, const char *msgid, double now);

#endif
