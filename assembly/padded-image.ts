// Images widened to int16 inside their padding, the operand form of the convolutions that read
// taps at fixed offsets from a pixel (qs8-conv.ts, qs8-conv-small.ts, qs8-dwconv.ts): padded
// positions hold the input zero point Z_x, so no tap needs a bounds test.
import { fillRow, widenRow } from "./qs8-microkernel";

/**
 * Widens one int8 image [inH, inW, inC] into `padded`, int16 [paddedH, paddedW, inC] whose (0, 0)
 * is input position (-padTop, -padLeft): positions outside the image hold Z_x.
 */
export function widenPaddedImage(
  image: usize, padded: usize, inH: i32, inW: i32, inC: i32, paddedH: i32, paddedW: i32,
  padTop: i32, padLeft: i32, inputZeroPoint: i32,
): void {
  const left = min(padLeft, paddedW);
  const inside = max(0, min(inW, paddedW - padLeft));
  const right = paddedW - left - inside;
  const lineValues = paddedW * inC;
  let d = padded;
  for (let py = 0; py < paddedH; py++, d += <usize>lineValues << 1) {
    const iy = py - padTop;
    if (iy < 0 || iy >= inH) {
      fillRow(d, lineValues, inputZeroPoint);
      continue;
    }
    fillRow(d, left * inC, inputZeroPoint);
    widenRow(image + <usize>iy * <usize>inW * <usize>inC, inside * inC, d + (<usize>(left * inC) << 1), inside * inC);
    fillRow(d + (<usize>((left + inside) * inC) << 1), right * inC, inputZeroPoint);
  }
}
