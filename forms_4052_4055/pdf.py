"""The pre-filled form as a PDF (reportlab): the person's details, agency, office, systems,
requested CCMS security role, signature lines, and the reference on every page so a signed
copy that comes back, on paper or by email, finds its record."""

from io import BytesIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

if TYPE_CHECKING:  # the model is above this module, which only draws it
    from forms_4052_4055.models import SecurityForm

SYSTEM_NAMES = {"ccts": "CCTS", "ccms": "CCMS", "infoview": "InfoView"}


def render_form_pdf(form: "SecurityForm") -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=f"{form.form_type.code} {form.reference}",
        author="CCAP Help Desk",
        topMargin=0.9 * inch,
        bottomMargin=0.9 * inch,
    )
    styles = getSampleStyleSheet()
    person = form.person
    issued = timezone.localtime(form.issued_at)
    due = timezone.localtime(form.due_at)
    rows = [
        ("Reference", form.reference),
        ("Name", person.full_name),
        ("Job title", person.job_title or ""),
        ("Agency", person.office.agency.name),
        ("Office", person.office.name),
        ("Email", person.primary_email),
        ("Phone", person.phone or ""),
        ("Systems", ", ".join(system_name(s) for s in form.systems)),
    ]
    if form.form_type.carries_ccms_role:
        rows.append(("CCMS security role requested", form.ccms_role))
    rows += [("Issued", f"{issued:%B %-d, %Y}"), ("Return signed by", f"{due:%B %-d, %Y}")]
    story = [
        Paragraph(escape(f"Form {form.form_type.code}: {form.form_type.title}"), styles["Title"]),
        Paragraph("Illinois Department of Human Services, CCAP Help Desk", styles["Normal"]),
        Spacer(1, 0.25 * inch),
        _table([(label, escape(value)) for label, value in rows], styles),
        Spacer(1, 0.3 * inch),
        Paragraph("Signatures", styles["Heading2"]),
        _table(
            [
                ("User's signature", "_" * 40 + "   Date " + "_" * 14),
                ("Authorising official (agency)", "_" * 40 + "   Date " + "_" * 14),
                ("Authorising official's name", "_" * 40),
            ],
            styles,
        ),
        Spacer(1, 0.3 * inch),
        Paragraph(
            escape(
                f"Return this form signed to the CCAP Help Desk with {form.reference} in the "
                "subject of your email or the name of the scanned file. No access is requested "
                "until it is received, verified and filed."
            ),
            styles["Normal"],
        ),
    ]

    def stamp(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 9)
        canvas.drawString(inch, 0.5 * inch, f"{form.reference}   Form {form.form_type.code}")
        canvas.drawRightString(LETTER[0] - inch, 0.5 * inch, f"Page {doc.page}")
        canvas.drawRightString(LETTER[0] - inch, LETTER[1] - 0.5 * inch, form.reference)
        canvas.restoreState()

    document.build(story, onFirstPage=stamp, onLaterPages=stamp)
    return buffer.getvalue()


def system_name(code: str) -> str:
    return SYSTEM_NAMES.get(code, code.upper() if len(code) <= 5 else code.title())


def _table(rows: list[tuple[str, str]], styles: StyleSheet1) -> Table:
    table = Table(
        [
            [Paragraph(f"<b>{label}</b>", styles["Normal"]), Paragraph(value, styles["Normal"])]
            for label, value in rows
        ],
        colWidths=[2.2 * inch, 4.3 * inch],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
