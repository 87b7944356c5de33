"""Finding: ``templates/_form_fields.html`` printed every field's help text with ``|safe``."""

from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    name = forms.CharField(help_text='<img src=x onerror="alert(1)"> & “quotes”')


def test_finding_form_help_text_is_escaped_not_marked_safe():
    html = render_to_string("_form_fields.html", {"form": _Form()})
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; “quotes”" in html
