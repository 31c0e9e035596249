import { expect } from "chai";
import { formatTextTable, textTable } from "../../automation/driver/table";

describe("text tables", () => {
  it("pads each column to its widest cell, header included, and never pads the last column", () => {
    expect(
      formatTextTable(
        ["STACK", "STATUS", "NOTE"],
        [
          ["central", "ok", ""],
          ["account-1", "FAILED", "why"],
        ],
      ),
    ).to.equal(["STACK      STATUS  NOTE", "central    ok", "account-1  FAILED  why", ""].join("\n"));
  });

  it("knows its width and where the last column starts", () => {
    const table = textTable(["A", "BB"], [["xxx", "y"]]);
    expect(table.widths).to.deep.equal([3, 2]);
    expect(table.width).to.equal(7);
    expect(table.lastColumnIndent).to.equal("     ");
  });
});
