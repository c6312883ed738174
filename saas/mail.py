"""Outgoing mail: SMTP when ``MAIL_SERVER`` is set; otherwise the outbox (a table, shown to the addressee in the
portal), so invitations and alerts can be read in development without a mail server."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from saas.extensions import db
from saas.timeutil import utcnow

log = logging.getLogger(__name__)


class OutboxMessage(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    to = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(255), nullable=False)
    body = db.Column(db.Text, nullable=False)
    transport = db.Column(db.String(10), nullable=False)  # smtp | outbox | failed
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


def send_mail(to: str, subject: str, body: str) -> OutboxMessage:
    config = current_app.config
    transport = "outbox"
    if config["MAIL_SERVER"]:
        transport = "smtp" if _send_smtp(config, to, subject, body) else "failed"
    else:
        # Not the body: an invitation's carries the link that grants access.
        log.info("mail (outbox) to=%s subject=%s", to, subject)
    message = OutboxMessage(to=to, subject=subject, body=body, transport=transport)
    db.session.add(message)
    db.session.commit()
    return message


def _send_smtp(config, to, subject, body) -> bool:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], to, subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("mail to %s could not be sent through %s", to, config["MAIL_SERVER"])
        return False
