"""DEPLOY_COMMAND to an argument list: shell-like words, `{target}` inside one argument, never a shell."""

from __future__ import annotations

import pytest

from core.errors import BadRequest, ServiceUnavailable
from pipelines.devops import deploy_argv


def test_deploy_argv__quoted_words_and_target__one_argument_each() -> None:
    argv = deploy_argv("./deploy.sh --env={target} 'a b' \"$HOME\" {target}", "production")
    assert argv == ["./deploy.sh", "--env=production", "a b", "$HOME", "production"]


def test_deploy_argv__shell_operators_in_the_command__stay_plain_words() -> None:
    # A ; or | in DEPLOY_COMMAND is an argument like any other: no shell runs it
    assert deploy_argv("echo {target}; rm -rf / | cat", "dev") == [
        "echo",
        "dev;",
        "rm",
        "-rf",
        "/",
        "|",
        "cat",
    ]


@pytest.mark.parametrize("target", ["staging", "dev; rm -rf /", "$(id)", "", "DEV"])
def test_deploy_argv__target_outside_dev_and_production__400(target: str) -> None:
    with pytest.raises(BadRequest) as caught:
        deploy_argv("echo {target}", target)
    assert caught.value.details == {"target": "must be one of dev, production"}


@pytest.mark.parametrize("command", ["", "   ", "echo 'unclosed"])
def test_deploy_argv__no_or_unusable_command__503(command: str) -> None:
    with pytest.raises(ServiceUnavailable):
        deploy_argv(command, "dev")
