import { describe, expect, it } from "vitest";
import { total } from "./total";

describe("total", () => {
  it("adds line totals", () => {
    expect(total([{ price: 250, quantity: 2 }, { price: 100, quantity: 1 }])).toBe(600);
  });
});
