"""Progress photos for the weekly check-in: front, side and back.

Three pure functions over bytes, for the Discord layer to call around its downloads:

- `inspect(data, declared_content_type, size, label=...)`: is this a photo the bot takes? A
  `Problem` whose message names the photo and says what to do, or None. Only JPEG, PNG, WebP and
  HEIC/HEIF are taken, recognised by their first bytes (never by the declared content type or
  the file name: a renamed PDF is still a PDF); at most `MAX_BYTES` (10 MiB) and `MAX_PIXELS`;
  and the whole image must decode (a cut-short upload is refused, not stored half grey).
- `normalise(data)`: what is stored. The EXIF orientation is applied to the pixels, then every
  piece of metadata is dropped (EXIF with its GPS position, XMP, IPTC, comments, the colour
  profile once the pixels are in sRGB), transparency is flattened onto white, the long side is
  brought down to `MAX_LONG_SIDE` (never up) and the result is a progressive JPEG.
- `side_by_side(columns)`: one JPEG comparing check-ins: a column per check-in, a row per pose,
  a labelled grey placeholder where a photo is missing.

The caller's order, per uploaded attachment: `too_large(attachment.size, label)` before
downloading anything (Discord says the size), then `inspect(...)` on the bytes, then
`normalise(...)`. Problems of several photos are collected and raised as one
`bot.domain.errors.InputError`, like every other form in the bot.

HEIC (the iPhone camera's default) is decoded by pillow-heif, registered with Pillow on import.
Where pillow-heif is not installed, HEIC is refused with a message that says how to send JPEG.

Everything here is CPU work on a few megabytes (a JPEG decodes at reduced scale where that
suffices): the async caller runs it in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageCms, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from bot.domain.errors import InputError

try:  # HEIC/HEIF: the pillow-heif plugin, a declared dependency; refused clearly without it.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - the dependency is declared; this is the fallback
    HEIC_SUPPORTED = False

MiB = 1024 * 1024
#: The largest upload taken, in bytes: Discord's own default upload limit.
MAX_BYTES = 10 * MiB
#: The most pixels an upload may decode to: a 48 MP phone photo fits, a decompression bomb (a small
#: file that decodes to gigabytes) does not. Below Pillow's own warning threshold (~89 MP).
MAX_PIXELS = 80_000_000
#: The long side of a stored photo, in pixels.
MAX_LONG_SIDE = 1600
#: Stored photos' JPEG quality.
JPEG_QUALITY = 85
#: The poses of a check-in, in the order of a column's photos.
POSES = ("front", "side", "back")
#: The formats taken, as a person reads them.
ACCEPTED = "JPEG, PNG, WebP or HEIC"

Kind = Literal["JPEG", "PNG", "WEBP", "HEIC"]
ProblemCode = Literal[
    "empty", "too_large", "not_a_photo", "heic_unsupported", "too_many_pixels", "unreadable"
]

# What Pillow calls each kind taken: the only plugin it may try, so bytes that sniff as PNG are
# never handed to a different decoder.
_PIL_FORMAT: dict[str, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIC": "HEIF"}
_READABLE_NAME: dict[str, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIC": "HEIC"}

# ISO base media file ("ftyp") brands. HEIF stills: HEVC-coded (heic/heix/…) and the generic
# HEIF image brands (mif1/msf1), which AVIF files also list, so AVIF is told apart first.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


@dataclass(frozen=True)
class Problem:
    """Why an upload is not taken: `code` for the program, `message` for the person."""

    code: ProblemCode
    message: str

    def __str__(self) -> str:
        return self.message


# --- recognising what was sent


def _ftyp_brands(data: bytes) -> list[bytes] | None:
    """The major and compatible brands of an ISO base media file, or None if it is not one."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    box = int.from_bytes(data[0:4], "big")
    end = min(box if 16 <= box <= 4096 else 16, len(data))
    brands = [data[8:12]]
    brands += [data[i : i + 4] for i in range(16, end - 3, 4)]
    return brands


def sniff(data: bytes) -> Kind | None:
    """The kind of photo `data` is, by its first bytes, or None if it is none of those taken."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[0:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    brands = _ftyp_brands(data)
    if brands is not None:
        found = set(brands)
        if found & _HEIC_BRANDS or (found & _HEIF_BRANDS and not found & _AVIF_BRANDS):
            return "HEIC"
    return None


def _what_it_is(data: bytes, declared_content_type: str | None) -> str | None:
    """What a refused upload is, in words ("a PDF"), when that can be told; else None. The bytes
    decide; the declared content type only names what the bytes do not (a video's is reliable)."""
    head = data[:64]
    if head.startswith(b"%PDF-"):
        return "a PDF"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF"
    if head.startswith(b"BM") and head[6:10] == bytes(4):  # "BM", the file size, four zero bytes
        return "a BMP image"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "a TIFF or camera RAW file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive or an Office document"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "a video"
    brands = _ftyp_brands(data)
    if brands is not None:
        if set(brands) & _AVIF_BRANDS:
            return "an AVIF image"
        if brands[0] in _AUDIO_BRANDS:
            return "an audio file"
        return "a video"
    if b"<svg" in data[:1024].lower():
        return "an SVG drawing"
    sample = data[:4096]
    if sample and b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return "a text file"
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 3:  # a multi-byte character cut by the sample's end
                return "a text file"
    declared = (declared_content_type or "").split(";")[0].strip().lower()
    if declared.startswith("video/"):
        return "a video"
    if declared.startswith("audio/"):
        return "an audio file"
    return None


# --- checking


def _mib(size: int) -> str:
    """A size in MiB to one decimal, rounded up: 10 MiB and one byte reads 10.1, not 10.0."""
    return f"{math.ceil(size * 10 / MiB) / 10:.1f} MiB"


def too_large(size: int, label: str = "photo") -> Problem | None:
    """The size check alone, for the attachment's declared size before downloading it."""
    if size > MAX_BYTES:
        return Problem(
            "too_large",
            f"{label}: {_mib(size)} is over the {MAX_BYTES // MiB} MiB limit; "
            "send a smaller copy of the photo (a screenshot of it will do)",
        )
    return None


def _opened(
    data: bytes, size: int, label: str, *, scale_to: int, declared_content_type: str | None = None
) -> Image.Image | Problem:
    """`data` decoded, after every check; the problem otherwise. A JPEG is decoded at the smallest
    reduced scale (1/2, 1/4, 1/8) whose long side is still at least `scale_to`: all of the file is
    still read, so a cut-short one is still caught, for a fraction of the time and memory."""
    if not data:
        return Problem("empty", f"{label}: the file is empty; send the photo again")
    problem = too_large(max(size, len(data)), label)
    if problem is not None:
        return problem
    kind = sniff(data)
    if kind is None:
        what = _what_it_is(data, declared_content_type)
        told = f"that is {what}" if what else "that is not a photo"
        return Problem("not_a_photo", f"{label}: {told}; send a photo ({ACCEPTED})")
    if kind == "HEIC" and not HEIC_SUPPORTED:
        return Problem(
            "heic_unsupported",
            f"{label}: HEIC photos cannot be read here; send it as a JPEG (on an iPhone: "
            "Settings › Camera › Formats › Most Compatible, or send a screenshot of it)",
        )
    unreadable = Problem(
        "unreadable",
        f"{label}: that {_READABLE_NAME[kind]} could not be read (it may be cut short or damaged); "
        "send it again, or take the photo again",
    )
    try:
        image = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]])
        width, height = image.size
        if width * height > MAX_PIXELS:
            return _too_many_pixels(label, width, height)
        if image.format == "JPEG":
            ratio = min(1.0, scale_to / max(width, height))
            image.draft(None, (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))))
        image.load()
    except Image.DecompressionBombError:
        return _too_many_pixels(label, None, None)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        # What Pillow's decoders raise for damaged data ("image file is truncated", broken chunks).
        return unreadable
    return image


def _too_many_pixels(label: str, width: int | None, height: int | None) -> Problem:
    dims = f"{width}×{height} pixels" if width and height else "that many pixels"
    return Problem(
        "too_many_pixels",
        f"{label}: {dims} is more than the {MAX_PIXELS // 1_000_000} megapixels this bot takes; "
        "send a smaller copy of the photo",
    )


def inspect(
    data: bytes, declared_content_type: str | None, size: int, *, label: str = "photo"
) -> Problem | None:
    """Whether `data` is a photo the bot takes: None if it is, the `Problem` if not.

    `declared_content_type` and `size` are what the upload claims (Discord's attachment
    `content_type` and `size`); neither is trusted to say that it is a photo. The larger of `size`
    and the bytes' length is held to the limit. `label` names the photo in the message, as
    "front photo", so a form with three uploads is answered once, with every problem:
    "front photo: that is a PDF; send a photo (JPEG, PNG, WebP or HEIC)".
    """
    opened = _opened(data, size, label, scale_to=1, declared_content_type=declared_content_type)
    if isinstance(opened, Problem):
        return opened
    opened.close()
    return None


# --- normalising


def _flattened_rgb(image: Image.Image) -> Image.Image:
    """`image` as 8-bit RGB: transparency over white, 16-bit grey scaled (not clipped to white),
    and pixels with a colour profile (an iPhone's Display P3, a CMYK print file) moved into sRGB,
    the colour space a JPEG without a profile is read in."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or unusual profile: the pixels as they are, read as sRGB
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    """`image`'s pixels, and nothing else, as a progressive JPEG. The pixels are copied into a new
    image first, so no metadata Pillow carries in `info` (EXIF, XMP, ICC, comments) can follow."""
    bare = Image.frombytes("RGB", image.size, image.convert("RGB").tobytes())
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=quality, progressive=True, optimize=True)
    return out.getvalue()


def _upright(image: Image.Image) -> Image.Image:
    """`image` turned as its EXIF orientation says (a phone held upright stores the pixels on
    their side and the turn in a tag). pillow-heif turns HEIC itself and resets the tag."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return image  # unreadable EXIF: the pixels as stored


def normalise(data: bytes, *, label: str = "photo") -> bytes:
    """The photo as stored: upright, in sRGB, no metadata at all, long side at most
    `MAX_LONG_SIDE` pixels (never enlarged), progressive JPEG at `JPEG_QUALITY`.

    Runs every check of `inspect` on the way (it decodes once); raises `InputError` with the
    problem's message if `data` is not a photo the bot takes.
    """
    opened = _opened(data, len(data), label, scale_to=MAX_LONG_SIDE)
    if isinstance(opened, Problem):
        raise InputError(opened.message)
    with opened:
        image = _flattened_rgb(_upright(opened))
        image.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS)
        return _jpeg(image, JPEG_QUALITY)


# --- the comparison sheet

#: A photo's cell in the comparison sheet, in pixels: a portrait photo fills it.
CELL_WIDTH, CELL_HEIGHT = 300, 400
#: The most check-ins a sheet compares.
MAX_COLUMNS = 6
#: The fill of a missing photo's placeholder.
PLACEHOLDER_GREY = (200, 200, 200)
_GAP = 8
_TITLE_HEIGHT = 40
_ROW_LABEL_WIDTH = 64
_BACKGROUND = (255, 255, 255)
_CELL_BACKGROUND = (238, 238, 238)
_INK = (30, 30, 30)
_PLACEHOLDER_INK = (90, 90, 90)


def cell_box(column: int, row: int) -> tuple[int, int, int, int]:
    """Where the photo of `row` (0 front, 1 side, 2 back) of `column` sits in the sheet:
    (left, top, right, bottom), right and bottom exclusive."""
    left = _ROW_LABEL_WIDTH + _GAP + column * (CELL_WIDTH + _GAP)
    top = _TITLE_HEIGHT + row * (CELL_HEIGHT + _GAP)
    return left, top, left + CELL_WIDTH, top + CELL_HEIGHT


def sheet_size(columns: int) -> tuple[int, int]:
    """The sheet's (width, height) for `columns` check-ins."""
    right = cell_box(columns - 1, len(POSES) - 1)[2]
    bottom = cell_box(columns - 1, len(POSES) - 1)[3]
    return right + _GAP, bottom + _GAP


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fitted(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> str:
    """`text`, cut with an ellipsis if it is wider than `width` pixels."""
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _cell_photo(data: bytes) -> Image.Image | None:
    """A stored photo, upright and RGB, or None if it cannot be read (shown as a placeholder)."""
    opened = _opened(data, len(data), "photo", scale_to=max(CELL_WIDTH, CELL_HEIGHT))
    if isinstance(opened, Problem):
        return None
    with opened:
        return _flattened_rgb(_upright(opened))


def _placeholder(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str) -> None:
    draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=PLACEHOLDER_GREY)
    centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
    draw.text(centre, text, fill=_PLACEHOLDER_INK, font=_font(16), anchor="mm")


def side_by_side(columns: list[tuple[str, list[bytes | None]]]) -> bytes:
    """A JPEG comparing check-ins: one column per `(title, photos)`, left to right as given, with
    the title above it ("This week · Mon 11 May"); a row per pose (`POSES`: front, side, back).
    A photo that is None, missing from the end of the list, or unreadable is a grey placeholder
    that says so. Each photo is fitted into a `CELL_WIDTH` × `CELL_HEIGHT` cell, so the sheet
    is at most `sheet_size(MAX_COLUMNS)`. ValueError for no columns, more than `MAX_COLUMNS`, or
    more photos in a column than there are poses."""
    if not 1 <= len(columns) <= MAX_COLUMNS:
        raise ValueError(f"a comparison sheet has 1 to {MAX_COLUMNS} columns, not {len(columns)}")
    for title, photos in columns:
        if len(photos) > len(POSES):
            raise ValueError(f"{title!r}: {len(photos)} photos, but the poses are {', '.join(POSES)}")
    sheet = Image.new("RGB", sheet_size(len(columns)), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    title_font, label_font = _font(18), _font(16)
    for row, pose in enumerate(POSES):
        top, bottom = cell_box(0, row)[1], cell_box(0, row)[3]
        draw.text(
            (_ROW_LABEL_WIDTH // 2 + _GAP // 2, (top + bottom) // 2),
            pose.capitalize(),
            fill=_INK,
            font=label_font,
            anchor="mm",
        )
    for col, (title, photos) in enumerate(columns):
        left, _, right, _ = cell_box(col, 0)
        draw.text(
            ((left + right) // 2, _TITLE_HEIGHT // 2),
            _fitted(title, title_font, CELL_WIDTH - 8),
            fill=_INK,
            font=title_font,
            anchor="mm",
        )
        padded = [*photos, *[None] * (len(POSES) - len(photos))]
        for row, (pose, data) in enumerate(zip(POSES, padded, strict=True)):
            box = cell_box(col, row)
            photo = _cell_photo(data) if data else None
            if photo is None:
                _placeholder(draw, box, f"no {pose} photo" if not data else f"{pose} photo unreadable")
                continue
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=_CELL_BACKGROUND)
            fitted = ImageOps.contain(photo, (CELL_WIDTH, CELL_HEIGHT), Image.Resampling.LANCZOS)
            sheet.paste(
                fitted,
                (box[0] + (CELL_WIDTH - fitted.width) // 2, box[1] + (CELL_HEIGHT - fitted.height) // 2),
            )
    return _jpeg(sheet, 90)


def dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) of a stored photo, read from its header."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size
