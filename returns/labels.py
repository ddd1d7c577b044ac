"""The printable return label (PDF). Placeholder until the label lands."""


def render_label_pdf(return_request) -> bytes:
    raise NotImplementedError
