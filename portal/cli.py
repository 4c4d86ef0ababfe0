"""flask --app portal create-staff | seed-demo | send-outbox | worker | rotate-field-keys | new-field-key |
whatsapp-templates"""
import signal
import time

import click
from flask import current_app
from sqlalchemy import func, select

from portal.accounts.models import MissionRole
from portal.extensions import db
from portal.languages import LANGUAGES

# Periodic jobs run by the worker after each sending of the outbox. Later features
# add theirs here: a callable that returns a line saying what it did (or None).
PERIODIC_JOBS: list = []


def init_app(app):
    from portal.accounts.services import sweep_sign_ins_job
    from portal.campaigns import services as campaigns
    from portal.notifications.services import forget_codes_job
    from portal.referrals.jobs import referrals_job
    from portal.throttle import sweep_counters_job
    from portal.trainings.materials.services import sweep_files_job
    from portal.trainings.services import expire_offers_job, reminders_job
    for job in (expire_offers_job, reminders_job, sweep_files_job, forget_codes_job, sweep_sign_ins_job,
                sweep_counters_job, referrals_job, campaigns.expire_offers_job, campaigns.reminders_job):
        if job not in PERIODIC_JOBS:
            PERIODIC_JOBS.append(job)
    for command in (create_staff, seed_demo, send_outbox, worker, rotate_field_keys, new_field_key, whatsapp_templates):
        app.cli.add_command(command)


@click.command("create-staff")
@click.option("--name", prompt=True)
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.option("--role", type=click.Choice([r.value for r in MissionRole]), default=MissionRole.STAFF.value)
@click.option("--locale", type=click.Choice(list(LANGUAGES)), default="en")
@click.password_option()
def create_staff(name, email, phone, role, locale, password):
    """Create a Mission staff account (never possible by self-registration)."""
    from portal.accounts import services
    from portal.accounts.models import MissionRole
    from portal.web import DomainError
    try:
        user = services.register(name, password, locale=locale, phone=phone, email=email, role=MissionRole(role))
    except DomainError as e:
        raise click.ClickException(str(e.message)) from e
    click.echo(f"Created {role} account #{user.id} ({user.email or user.phone}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
def seed_demo(if_empty):
    """Load demo data: staff, two approved organisations with members, one pending."""
    from portal.accounts.models import User
    from portal.demo import DEMO_PASSWORD, load_demo
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("The database has accounts already; no demo data loaded.")
        return
    logins = load_demo()
    click.echo("Demo data loaded. Sign in at http://127.0.0.1:5000/auth/login with:")
    for role, login in logins:
        click.echo(f"  {role:<34} {login:<24} password: {DEMO_PASSWORD}")


@click.command("send-outbox")
def send_outbox():
    """Send the unsent messages of the outbox once."""
    from portal.notifications.services import send_pending
    sent, failed = send_pending()
    click.echo(f"Outbox: {sent} sent, {failed} failed.")


@click.command("whatsapp-templates")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write them (default: the screen). docs/whatsapp-templates.json is kept up to date.")
def whatsapp_templates(out):
    """Every WhatsApp template, one per kind of message and language, as Meta's API for creating templates
    takes them: what an administrator submits for approval before WhatsApp is switched on."""
    import json

    from portal.notifications.whatsapp import templates
    json.dump(templates(LANGUAGES), out, ensure_ascii=False, indent=2)
    out.write("\n")


@click.command("worker")
@click.option("--interval", type=float, default=None, help="Seconds between rounds.")
@click.option("--rounds", type=int, default=0, help="Stop after this many rounds (0: until stopped).")
def worker(interval, rounds):
    """Loop: send the outbox, then run the periodic jobs."""
    from portal.notifications.services import send_pending
    interval = interval if interval is not None else current_app.config["WORKER_INTERVAL"]
    stop = {"now": False}

    def _stop(signum, frame):
        stop["now"] = True
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"Worker started; a round every {interval:g} s.")
    done = 0
    while not stop["now"]:
        sent, failed = send_pending()
        if sent or failed:
            click.echo(f"Outbox: {sent} sent, {failed} failed.")
        for job in PERIODIC_JOBS:
            try:
                line = job()
            except Exception as e:  # one job's fault must not stop the outbox and the other jobs
                db.session.rollback()
                current_app.logger.error("Periodic job %s failed: %s", job.__name__, type(e).__name__)
                continue
            if line:
                click.echo(line)
        db.session.remove()
        done += 1
        if rounds and done >= rounds:
            break
        slept = 0.0
        while slept < interval and not stop["now"]:
            time.sleep(min(0.5, interval - slept))
            slept += 0.5
    click.echo("Worker stopped.")


@click.command("new-field-key")
def new_field_key():
    """Print a new key for FIELD_KEYS (to put first, before rotate-field-keys)."""
    from portal.crypto import new_key
    click.echo(new_key())


@click.command("rotate-field-keys")
def rotate_field_keys():
    """Encrypt every encrypted field again with the first key of FIELD_KEYS (then the old keys can go)."""
    from portal.crypto import InvalidToken, rotate
    try:
        done = rotate()
    except InvalidToken as e:
        raise click.ClickException("A field could not be opened with any key of FIELD_KEYS: keep the old key "
                                   "in the list (after the new one) until the rotation has run.") from e
    for column, n in done.items():
        click.echo(f"{column}: {n} encrypted again")
    click.echo(f"Done: {sum(done.values())} fields encrypted with the first key.")
