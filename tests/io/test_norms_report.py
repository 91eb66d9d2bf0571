from click.testing import CliRunner

from vkls.cli.main import cli


def test_norms_show_markdown_has_the_matrix_and_sources():
    result = CliRunner().invoke(cli, ["norms", "show"])
    assert result.exit_code == 0
    text = result.output
    assert "## Clearance matrix" in text
    # the gas-water cell: 0.30 parallel / 0.20 crossing, practitioner default
    header = next(line for line in text.splitlines() if line.startswith("| kind | datatransport"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    gas_row = next(line for line in text.splitlines() if line.startswith("| gasLageDruk |"))
    cells = [c.strip() for c in gas_row.strip("|").split("|")]
    assert cells[columns.index("water")] == "0.30 / 0.20 P"
    assert "Drinkwaterbesluit" in text and "klic-app.nl" in text


def test_norms_show_with_a_user_file_and_html(tmp_path):
    mine = tmp_path / "city.toml"
    mine.write_text('[[clearance.pair]]\nkinds = ["water", "gasLageDruk"]\nparallel = 0.25\ncrossing = 0.15\n'
                    'status = "local"\nsource = "Gemeente X"\n')
    out = tmp_path / "rules.html"
    result = CliRunner().invoke(cli, ["norms", "show", "--norms", str(mine), "-o", str(out)])
    assert result.exit_code == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "0.25 / 0.15 L" in page and "Gemeente X" in page


def test_norms_show_rejects_unknown_output_type(tmp_path):
    result = CliRunner().invoke(cli, ["norms", "show", "-o", str(tmp_path / "rules.pdf")])
    assert result.exit_code == 2 and "use .md or .html" in result.stderr
    assert not (tmp_path / "rules.pdf").exists()
