"""The README's state diagram is the state machine in the code."""

from pathlib import Path

from steps.diagram import edges, mermaid

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_diagram_matches_the_code():
    text = README.read_text()
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0].strip()
    assert block == mermaid(), "regenerate it with `make diagram` and paste it into README.md"


def test_diagram_has_every_rule_of_movement():
    pairs = {(src, dst) for src, dst, _ in edges()}
    assert ("signalled", "screening") in pairs and ("closed", "signalled") in pairs
    assert {("admitted", s) for s in ("step1", "step2", "step3", "step4")} <= pairs
    assert ("screening", "step4") not in pairs  # step 4 is reached by stepping up
    assert not any(dst == "closed" and src == "closed" for src, dst in pairs)
