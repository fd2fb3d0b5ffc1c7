import pytest
import typer

from bayfin.cli.output import refusals
from bayfin.kernel.errors import Conflict


def test_a_business_refusal_ends_the_command_with_exit_code_2_and_its_message(capsys):
    with pytest.raises(typer.Exit) as exited, refusals():
        raise Conflict("the application is already approved")
    assert exited.value.exit_code == 2
    assert "the application is already approved" in capsys.readouterr().err


def test_a_programming_error_is_not_dressed_up_as_a_refusal():
    with pytest.raises(KeyError), refusals():
        raise KeyError("bug")
