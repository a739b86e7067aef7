"""Write docs/report.schema.json, the JSON Schema of the report contract, from the Pydantic models."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from refundguard.report.schema import ReportModel


def main(out: str = "docs/report.schema.json") -> None:
    schema = ReportModel.model_json_schema(by_alias=True)
    Path(out).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
