#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/seed-*).

msgpack seeds come from the examples of schemas/ (JSON -> msgpack, wrapped the way they travel:
a result inside a reply, an AppState inside a get_state reply, ...) plus a few messages the
schemas have no example for (deploy, every control op). SharedConfig seeds are the sample plans of
plans/ (comments and indentation dropped to stay small) and a few XML snippets for the features the
samples do not use. Files named regress-* are regression inputs of fixed bugs: kept, never written.

Run from anywhere with Debian's python3 and python3-msgpack:  /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import json
import pathlib
import re

import msgpack

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
MAX_SEED_BYTES = 4096


def examples(name):
    return json.loads((ROOT / "schemas" / name).read_text())["examples"]


def reply(result, ok=True, error=None):
    message = {"v": 1, "id": "c1", "ok": ok}
    if error is not None:
        message["error"] = error
    if result is not None:
        message["result"] = result
    return message


APP_DEF = {
    "machine": "m1", "app": "web", "exe_full_path": "/usr/bin/sleep", "startup_dir": "%HOME%",
    "cmd_line_args": "3600", "config_dir": "/etc/baton", "startup_order": 2, "volatile": False,
    "disabled": False, "restart_on_crash": True, "restart_max_tries": 3, "restart_delay_s": 0.5,
    "init_detectors": {"timeout_s": 2.0, "exit_codes": [{"first": 0, "last": 0},
                                                        {"first": 5, "last": 7}],
                       "heartbeat": True},
    "dependencies": [{"machine": "m1", "app": "db"}], "separation_interval_s": 0.25,
    "kill_tree": True, "soft_kill_timeout_s": 10.0, "min_killing_time_s": 1.0,
    "env_set": [{"name": "LOG", "value": "%HOME%/log"}], "env_local": [{"name": "X", "value": "1"}],
    "path_prepend": ["/opt/bin"], "path_append": ["/usr/local/bin"],
}
MINIMAL_APP_DEF = {"machine": "m1", "app": "a", "exe_full_path": "a", "config_dir": "/"}


def msgpack_seeds():
    seeds = {"fuzz_appmonitor": [], "fuzz_bus": [], "fuzz_control": []}
    for name in ("register", "refresh", "refresh_many", "unregister", "register_reply",
                 "refresh_reply", "ok_reply", "error_reply", "refresh_many_error"):
        seeds["fuzz_appmonitor"] += examples(f"appmonitor/{name}.json")
    seeds["fuzz_appmonitor"] += [
        {"op": "register", "v": 1, "pid": 1234, "timeout_ms": 500, "action": "restart",
         "restart_command": "/usr/bin/app --again", "app": "m1.web"},
        {"op": "register", "v": 2, "pid": 1, "timeout_ms": 1, "action": "kill"},
        {"op": "launch", "v": 1},
        [1, 2, 3],
    ]

    app_states = examples("bus/app_state.json")
    plan_states = examples("bus/plan_state.json")
    seeds["fuzz_bus"] += app_states + plan_states + examples("bus/event.json")
    seeds["fuzz_bus"] += examples("bus/node_state.json") + examples("bus/reply.json")
    seeds["fuzz_bus"] += examples("bus/command.json")
    command = {"v": 1, "id": "b-1", "reply_to": "broker"}
    seeds["fuzz_bus"] += [
        dict(command, op="deploy", args={"apps": [APP_DEF, MINIMAL_APP_DEF], "master_ip": "10.0.0.1"}),
        dict(command, op="restart", args={"app": "web"}),
        dict(command, op="kill_all", args={}),
        dict(command, op="get_state"),
        dict(reply({"apps": app_states}), machine="m1"),
    ]

    seeds["fuzz_control"] += examples("control/request.json") + examples("control/reply.json")
    request = {"v": 1, "id": "r1"}
    seeds["fuzz_control"] += [
        dict(request, op="get_app_state", args={"app": "m1.web"}),
        dict(request, op="plan_start", args={"plan": "main"}),
        dict(request, op="set_vars", args={"machine": "m1", "vars": {"A": "1", "B": ""}}),
        dict(request, op="kill_all", args={"machine": "m2"}),
        dict(request, op="plans"),
        reply(examples("control/hello_result.json")[0]),
        reply({"app": examples("control/app_status.json")[0]}),
        reply({"apps": examples("control/app_status.json")}),
        reply(plan_states[1]),
        reply({"plans": plan_states}),
        reply({"machines": examples("control/machine_status.json")}),
        reply(examples("control/reload_result.json")[0]),
        reply(None, ok=False, error="unknown app m1.x"),
    ]
    return {target: [msgpack.packb(m, use_bin_type=True) for m in messages]
            for target, messages in seeds.items()}


XML_SNIPPETS = [
    # Template chains, every sub-element, detectors and environment.
    """<Shared>
<AppTemplate Name="base" ExeFullPath="/bin/sh" KillTree="1" KillSoftly="1" MinKillingTime="0.5">
<Env><Set Variable="A" Value="1"/><Path Prepend="/opt/a;/opt/b" Append="/x"/><Local Variable="L" Value="%A%"/></Env>
<InitDetectors><Timeout>5.0</Timeout></InitDetectors>
</AppTemplate>
<AppTemplate Name="mid" Template="base" RestartOnCrash="1"><Restarter maxTries="-1" delay="1.5"/></AppTemplate>
<Plan Name="p" StartTimeout="3">
<App AppIdTuple="m1.a" Template="mid" StartupOrder="1" SeparationInterval="0.2"/>
<App AppIdTuple="m1.b" Template="mid" Dependencies="a;m1.a" InitCondition="exitcode 0">
<InitDetectors><ExitCode>0,2,5-7</ExitCode><Heartbeat/></InitDetectors>
<SoftKill><Close Timeout="3"/></SoftKill>
<Env><Set Variable="A" Value="2"/></Env>
</App>
<App AppIdTuple="m2.c" ExeFullPath="c" Disabled="1" Volatile="1" InitCondition="timeout 2.0"/>
</Plan>
<App AppIdTuple="m1.a" ExeFullPath="./a" StartupDir="rel/dir" CmdLineArgs="x %A% y"/>
</Shared>
""",
    # Ignored and unsupported Dirigent features: warnings.
    """<?xml version="1.0"?>
<Shared>
<Machine Name="m1" IpAddress="127.0.0.1"/>
<Plan Name="w" ApplyOnStart="1" Groups="g">
<App AppIdTuple="m1.w" ExeFullPath="w" WindowStyle="minimized" AdoptIfAlreadyRunning="1" Unknown="?">
<WindowPos rect="1,2,3,4"/><Mystery/>
</App>
</Plan>
<AppTemplate Name="t" AppIdTuple="m1.t"/><AppTemplate Name="t"/>
</Shared>
""",
    # Errors: a dependency cycle, a bad value, a missing template.
    """<Shared><Plan Name="c"><App AppIdTuple="m1.a" ExeFullPath="a" Dependencies="m1.b"/>
<App AppIdTuple="m1.b" ExeFullPath="b" Dependencies="m1.a"/></Plan></Shared>
""",
    """<Shared><App AppIdTuple="m1.a" ExeFullPath="a" RestartOnCrash="yes please"/></Shared>
""",
    """<Shared><App AppIdTuple="m1.a" Template="nowhere"/></Shared>
""",
    """<Shared><AppTemplate Name="x" Template="y"/><AppTemplate Name="y" Template="x"/></Shared>
""",
    """<Shared><App AppIdTuple="m1.a" ExeFullPath="a"><Restarter maxTries="2" delay="-1"/></App>
""",
]


def compact_xml(text):
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def xml_seeds():
    seeds = [compact_xml(path.read_text()) for path in sorted((ROOT / "plans").glob("*.xml"))]
    return [s.encode() for s in seeds + XML_SNIPPETS]


def main():
    all_seeds = msgpack_seeds()
    all_seeds["fuzz_shared_config"] = xml_seeds()
    for target, seeds in all_seeds.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("seed-*"):
            stale.unlink()
        for number, seed in enumerate(seeds):
            if len(seed) >= MAX_SEED_BYTES:
                raise SystemExit(f"{target} seed {number} is {len(seed)} bytes (at most 4 KiB)")
            (folder / f"seed-{number:02d}").write_bytes(seed)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
