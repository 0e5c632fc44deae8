#!/usr/bin/env python3
"""Writes the typed Nethereum bindings (*.g.cs beside this file) from the forge artifacts.

Run after `forge build` whenever a contract's ABI changes:
    python3 src/DePinLedger.Chain/Contracts/generate_bindings.py
One namespace per contract (functions, events, structs); every custom error of every contract in one namespace
(`Errors`, deduplicated by signature) because errors bubble up across contracts (a token error out of a stake call).
"""
import json
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACTS = [  # (artifact, namespace)
    ("DePinToken.sol/DePinToken.json", "Token"),
    ("ModelRegistry.sol/ModelRegistry.json", "Models"),
    ("StakeManager.sol/StakeManager.json", "Staking"),
    ("JobMarket.sol/JobMarket.json", "Jobs"),
    ("DisputeGame.sol/DisputeGame.json", "Game"),
    ("StepProver.sol/StepProver.json", "Prover"),
]


def pascal(name):
    name = name.strip("_")
    if not name:
        return name
    parts = re.split(r"_+", name)
    parts = [p.capitalize() if p.isupper() and len(p) > 1 else p for p in parts if p]
    return "".join(p[0].upper() + p[1:] for p in parts)


def struct_name(param):
    internal = param.get("internalType", "")
    m = re.match(r"struct (?:\w+\.)?(\w+)", internal)
    return m.group(1) if m else None


def cs_type(param, structs):
    t = param["type"]
    suffix = ""
    while t.endswith("[]"):
        t = t[:-2]
        suffix += "[]"
    if t == "tuple":
        name = struct_name(param)
        structs[name] = param["components"]
        base = name
    elif t == "address" or t == "string":
        base = "string"
    elif t == "bool":
        base = "bool"
    elif t == "bytes" or re.fullmatch(r"bytes\d+", t):
        base = "byte[]"
    else:
        m = re.fullmatch(r"(u?)int(\d+)", t)
        bits = int(m.group(2))
        unsigned = m.group(1) == "u"
        if bits <= 8:
            base = "byte" if unsigned else "sbyte"
        elif bits <= 16:
            base = "ushort" if unsigned else "short"
        elif bits <= 32:
            base = "uint" if unsigned else "int"
        elif bits <= 64:
            base = "ulong" if unsigned else "long"
        else:
            base = "BigInteger"
    for _ in range(suffix.count("[]")):
        base = f"List<{base}>"
    return base


def default(cs):
    if cs == "string":
        return ' = "";'
    if cs == "byte[]":
        return " = [];"
    if cs.startswith("List<"):
        return " = [];"
    if cs[0].isupper() and cs not in ("BigInteger",):
        return " = new();"
    return ""


def abi_type(param):
    return param["type"]


def properties(params, structs, indexed=False, names_used=None):
    lines = []
    for i, p in enumerate(params, 1):
        name = pascal(p["name"]) or f"Value{i}"
        cs = cs_type(p, structs)
        idx = f", {'true' if p.get('indexed') else 'false'}" if indexed else ""
        lines.append(f'    [Parameter("{abi_type(p)}", "{p["name"]}", {i}{idx})]')
        lines.append(f"    public {cs} {name} {{ get; set; }}{default(cs)}")
        lines.append("")
    return lines[:-1] if lines else lines


def signature(item):
    def t(p):
        if p["type"].startswith("tuple"):
            return "(" + ",".join(t(c) for c in p["components"]) + ")" + p["type"][5:]
        return p["type"]
    return item["name"] + "(" + ",".join(t(p) for p in item["inputs"]) + ")"


def is_static(param):
    t = param["type"]
    return not (t in ("string", "bytes") or t.endswith("]") or t.startswith("tuple"))


def word_reader(param):
    t = param["type"]
    if t == "address":
        return "AbiWord.Address"
    if t == "bool":
        return "AbiWord.Bool"
    if re.fullmatch(r"bytes\d+", t):
        return "AbiWord.Bytes"
    m = re.fullmatch(r"(u?)int(\d+)", t)
    bits = int(m.group(2))
    if m.group(1) != "u":
        raise SystemExit(f"signed event parameter {param['name']} has no fast decoder")
    return {8: "AbiWord.UInt8", 16: "AbiWord.UInt16", 32: "AbiWord.UInt32", 64: "AbiWord.UInt64"}.get(
        8 if bits <= 8 else 16 if bits <= 16 else 32 if bits <= 32 else 64 if bits <= 64 else 256, "AbiWord.UInt256")


def fast_decoder(item):
    lines = [
        "    /// <summary>Decodes this event's log without reflection (every parameter is a static type).</summary>",
        f"    public static {item['name']}Event DecodeLog(IReadOnlyList<string> topics, byte[] data) => new()",
        "    {",
    ]
    topic = 1
    word = 0
    for i, p in enumerate(item["inputs"], 1):
        name = pascal(p["name"]) or f"Value{i}"
        if p.get("indexed"):
            source = f"AbiWord.Topic(topics[{topic}])"
            topic += 1
        else:
            source = f"AbiWord.At(data, {word})"
            word += 1
        lines.append(f"        {name} = {word_reader(p)}({source}),")
    lines.append("    };")
    return lines


def header(namespace):
    return [
        "// <auto-generated>",
        "// Generated by generate_bindings.py from the forge artifacts (out/). Do not edit: change the contract, run",
        "// `forge build`, then the script.",
        "// </auto-generated>",
        "#nullable enable",
        "using System.Numerics;",
        "using Nethereum.ABI.FunctionEncoding.Attributes;",
        "using Nethereum.Contracts;",
        "",
        f"namespace DePinLedger.Chain.Contracts.{namespace};",
        "",
    ]


def main():
    errors = {}
    for artifact, namespace in CONTRACTS:
        abi = json.load(open(os.path.join(ROOT, "out", artifact)))["abi"]
        contract = os.path.basename(artifact)[:-5]
        structs = {}
        out = header(namespace)
        for item in sorted((a for a in abi if a["type"] == "function"), key=lambda a: a["name"]):
            cls = pascal(item["name"]) + "Function"
            outputs = item["outputs"]
            simple = len(outputs) == 1 and not outputs[0]["type"].startswith("tuple")
            ret = f', "{outputs[0]["type"]}"' if simple else ""
            kind = "view" if item["stateMutability"] in ("view", "pure") else "transaction"
            out.append(f"/// <summary>{contract}.{signature(item)} ({kind}).</summary>")
            out.append(f'[Function("{item["name"]}"{ret})]')
            out.append(f"public sealed class {cls} : FunctionMessage, IAbiFunction")
            out.append("{")
            out.append(f'    public string AbiSignature => "{signature(item)}";')
            if item["inputs"]:
                out.append("")
            out += properties(item["inputs"], structs)
            out.append("}")
            out.append("")
            if outputs and not simple:
                out.append(f"/// <summary>What {contract}.{item['name']} returns.</summary>")
                out.append("[FunctionOutput]")
                out.append(f"public sealed class {pascal(item['name'])}Output : IFunctionOutputDTO")
                out.append("{")
                out += properties(outputs, structs)
                out.append("}")
                out.append("")
        for item in sorted((a for a in abi if a["type"] == "event"), key=lambda a: a["name"]):
            out.append(f"/// <summary>{contract} event {signature(item)}.</summary>")
            out.append(f'[Event("{item["name"]}")]')
            out.append(f"public sealed class {item['name']}Event : IEventDTO")
            out.append("{")
            out += properties(item["inputs"], structs, indexed=True)
            if all(is_static(i) for i in item["inputs"]):
                if item["inputs"]:
                    out.append("")
                out += fast_decoder(item)
            out.append("}")
            out.append("")
        for item in (a for a in abi if a["type"] == "error"):
            errors[signature(item)] = item
        # structs may reference structs: resolve until stable
        done = {}
        while len(done) < len(structs):
            for name, comps in list(structs.items()):
                if name in done:
                    continue
                body = [f"/// <summary>The Solidity struct {name}.</summary>", f"public sealed class {name}", "{"]
                body += properties(comps, structs)
                body += ["}", ""]
                done[name] = body
        for name in sorted(done):
            out += done[name]
        write(os.path.join(HERE, f"{namespace}.g.cs"), out)

    out = header("Errors")
    for sig, item in sorted(errors.items(), key=lambda kv: kv[1]["name"]):
        structs = {}
        cls = pascal(item["name"].split("_", 1)[1] if "_" in item["name"] else item["name"])
        prefix = item["name"].split("_", 1)[0] if "_" in item["name"] else ""
        cls = prefix + cls + "Error"
        out.append(f"/// <summary>Custom error {sig}.</summary>")
        out.append(f'[Error("{item["name"]}")]')
        out.append(f"public sealed partial class {cls} : IErrorDTO")
        out.append("{")
        out += properties(item["inputs"], structs)
        out.append("}")
        out.append("")
        for name, comps in structs.items():
            out += [f"/// <summary>The Solidity struct {name} (in an error).</summary>", f"public sealed class {name}", "{"]
            out += properties(comps, {})
            out += ["}", ""]
    write(os.path.join(HERE, "Errors.g.cs"), out)


def write(path, lines):
    while lines and lines[-1] == "":
        lines.pop()
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
