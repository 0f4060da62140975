"""Check-in photos: what is taken, what is stored, and the comparison sheet. Every image is made
here, in memory, with Pillow (and pillow-heif for HEIC)."""

from __future__ import annotations

import io
import random

import pillow_heif
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from bot.domain import photos
from bot.domain.errors import InputError

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 180, 20)
GPS = ExifTags.IFD.GPSInfo
ORIENTATION = ExifTags.Base.Orientation


def halves(size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    """An image whose left half is one colour and right half another, to see which way it turned."""
    image = Image.new("RGB", size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[ExifTags.Base.Make] = "SpyPhone"
    exif[GPS] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    return exif


def jpeg_with_gps(size: tuple[int, int] = (400, 300), orientation: int = 1) -> bytes:
    data = encoded(halves(size, RED, BLUE), "JPEG", exif=exif_with_gps(orientation), quality=95)
    stored = Image.open(io.BytesIO(data)).getexif()  # the fixture really carries what is to go
    assert stored[ORIENTATION] == orientation and stored.get_ifd(GPS), "fixture lost its GPS"
    return data


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


# --- normalise


def test_normalise_strips_all_metadata_including_gps() -> None:
    data = jpeg_with_gps()
    out = photos.normalise(data)
    image = opened(out)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(GPS)
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
    assert b"Exif\x00\x00" not in out and b"SpyPhone" not in out


def test_normalise_strips_xmp_and_png_text() -> None:
    image = halves((300, 200), RED, BLUE)
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at 12 Acacia Avenue")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-location</x:xmpmeta>")
    out = photos.normalise(encoded(image, "PNG", pnginfo=text))
    assert b"Acacia" not in out and b"secret-location" not in out
    assert opened(out).format == "JPEG"


@pytest.mark.parametrize(("size", "expected"), [((4000, 3000), (1600, 1200)), ((3000, 4000), (1200, 1600))])
def test_normalise_brings_the_long_side_down_to_1600(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    data = encoded(halves(size, RED, BLUE), "JPEG", quality=80)
    assert opened(photos.normalise(data)).size == expected


def test_normalise_never_enlarges_a_small_photo() -> None:
    for fmt in ("JPEG", "PNG", "WEBP"):
        assert opened(photos.normalise(encoded(halves((640, 480), RED, BLUE), fmt))).size == (640, 480)


def test_normalise_applies_the_exif_orientation_before_dropping_it() -> None:
    # Stored 400×300 on its side, with orientation 6 ("turn 90° clockwise to view"): the viewer sees
    # a 300×400 portrait whose top is what was stored on the left (red).
    image = opened(photos.normalise(jpeg_with_gps((400, 300), orientation=6)))
    assert image.size == (300, 400)
    assert near(image.getpixel((150, 50)), RED) and near(image.getpixel((150, 350)), BLUE)
    assert ORIENTATION not in image.getexif()


def test_normalise_turns_a_large_sideways_photo_and_caps_it() -> None:
    image = opened(photos.normalise(jpeg_with_gps((4000, 3000), orientation=8)))
    assert image.size == (1200, 1600)
    # orientation 8: turn 90° anticlockwise, so what was stored on the right (blue) is on top
    assert near(image.getpixel((600, 200)), BLUE) and near(image.getpixel((600, 1400)), RED)


def test_normalise_writes_a_progressive_rgb_jpeg() -> None:
    image = opened(photos.normalise(encoded(Image.new("L", (500, 500), 128), "PNG")))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.info.get("progressive") or image.info.get("progression")


def test_normalise_puts_transparency_on_white() -> None:
    clear = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    clear.paste((20, 20, 220, 255), (0, 0, 100, 200))
    image = opened(photos.normalise(encoded(clear, "PNG")))
    assert near(image.getpixel((150, 100)), (255, 255, 255)) and near(image.getpixel((50, 100)), BLUE)


def test_normalise_scales_16_bit_grey_instead_of_clipping_it() -> None:
    image = opened(photos.normalise(encoded(Image.new("I;16", (100, 100), 32768), "PNG")))
    assert near(image.getpixel((50, 50)), (128, 128, 128), tolerance=4)


def test_normalise_reads_heic_upright_and_drops_its_metadata() -> None:
    assert photos.HEIC_SUPPORTED
    source = halves((400, 300), RED, BLUE)
    data = encoded(source, "HEIF", exif=exif_with_gps(orientation=6).tobytes(), quality=90)
    assert photos.sniff(data) == "HEIC"
    image = opened(photos.normalise(data))
    assert image.format == "JPEG" and image.size == (300, 400)
    assert near(image.getpixel((150, 50)), RED, tolerance=40)
    assert dict(image.getexif()) == {} and b"SpyPhone" not in photos.normalise(data)


def test_normalise_refuses_what_inspect_refuses() -> None:
    with pytest.raises(InputError, match=r"^back photo: that is a PDF; send a photo"):
        photos.normalise(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", label="back photo")


# --- inspect


def heic(size: tuple[int, int] = (64, 48)) -> bytes:
    return encoded(Image.new("RGB", size, GREEN), "HEIF", quality=80)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("HEIF", "image/heic")],
)
def test_inspect_accepts_png_jpeg_webp_and_heic(fmt: str, content_type: str) -> None:
    data = heic() if fmt == "HEIF" else encoded(halves((320, 240), RED, BLUE), fmt)
    assert photos.inspect(data, content_type, len(data)) is None
    # the declared type is not what decides: a JPEG sent as octet-stream is still a JPEG
    assert photos.inspect(data, "application/octet-stream", len(data)) is None
    assert photos.inspect(data, None, len(data)) is None


def test_inspect_refuses_a_pdf_even_when_it_claims_to_be_a_jpeg() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
    problem = photos.inspect(pdf, "image/jpeg", len(pdf), label="front photo")
    assert problem is not None and problem.code == "not_a_photo"
    assert problem.message == "front photo: that is a PDF; send a photo (JPEG, PNG, WebP or HEIC)"


def test_inspect_refuses_a_text_file_renamed_as_a_photo() -> None:
    text = "my weight this week was 82 kg — felt good\n".encode() * 20
    problem = photos.inspect(text, "image/png", len(text), label="side photo")
    assert problem is not None and problem.code == "not_a_photo"
    assert problem.message.startswith("side photo: that is a text file; send a photo (")
    bmi = b"BMI down to 24.9 this week\n"  # starts as a BMP does: "BM"
    told = photos.inspect(bmi, "image/bmp", len(bmi))
    assert told is not None and "that is a text file" in told.message


def test_inspect_refuses_over_10_mib_by_the_bytes_or_by_the_declared_size() -> None:
    big = b"\xff\xd8\xff\xe0" + bytes(12 * photos.MiB - 4)
    problem = photos.inspect(big, "image/jpeg", len(big), label="side photo")
    assert problem is not None and problem.code == "too_large"
    assert problem.message.startswith("side photo: 12.0 MiB is over the 10 MiB limit; ")
    small = encoded(halves((32, 32), RED, BLUE), "PNG")
    claimed = photos.inspect(small, "image/png", 12 * photos.MiB)
    assert claimed is not None and claimed.code == "too_large"


def test_too_large_is_exact_at_the_limit_and_rounds_up_past_it() -> None:
    assert photos.too_large(photos.MAX_BYTES) is None
    problem = photos.too_large(photos.MAX_BYTES + 1, "back photo")
    assert problem is not None
    assert problem.message.startswith("back photo: 10.1 MiB is over the 10 MiB limit")


def test_inspect_refuses_garbage_and_an_empty_file() -> None:
    garbage = random.Random(19).randbytes(50_000)
    assert photos.sniff(garbage) is None
    problem = photos.inspect(garbage, "image/jpeg", len(garbage), label="front photo")
    assert problem is not None and problem.code == "not_a_photo"
    assert problem.message == "front photo: that is not a photo; send a photo (JPEG, PNG, WebP or HEIC)"
    empty = photos.inspect(b"", "image/jpeg", 0)
    assert empty is not None and empty.code == "empty"


def test_inspect_refuses_a_truncated_jpeg() -> None:
    noisy = Image.effect_noise((800, 600), 64).convert("RGB")
    data = encoded(noisy, "JPEG", quality=90)
    assert photos.inspect(data, "image/jpeg", len(data)) is None
    cut = data[: len(data) * 2 // 3]
    problem = photos.inspect(cut, "image/jpeg", len(cut), label="back photo")
    assert problem is not None and problem.code == "unreadable"
    assert problem.message.startswith("back photo: that JPEG could not be read")


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + random.Random(1).randbytes(4000),  # JPEG's magic, then noise
        b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(4000),
        b"RIFF\x00\x10\x00\x00WEBPVP8 " + random.Random(3).randbytes(4000),
    ],
    ids=["jpeg", "png", "webp"],
)
def test_inspect_refuses_magic_bytes_that_do_not_decode(data: bytes) -> None:
    problem = photos.inspect(data, None, len(data))
    assert problem is not None and problem.code == "unreadable"


def test_inspect_refuses_a_truncated_heic() -> None:
    data = heic((256, 256))
    problem = photos.inspect(data[: len(data) // 2], "image/heic", len(data) // 2)
    assert problem is not None and problem.code == "unreadable"
    assert "HEIC could not be read" in problem.message


def test_inspect_refuses_a_decompression_bomb() -> None:
    bomb = encoded(Image.new("1", (9000, 9000)), "PNG")  # a few KB that decode to 81 megapixels
    assert len(bomb) < 100_000
    problem = photos.inspect(bomb, "image/png", len(bomb))
    assert problem is not None and problem.code == "too_many_pixels"
    assert "9000×9000" in problem.message


@pytest.mark.parametrize(
    ("head", "kind", "what"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC", None),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIC", None),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None, "an AVIF image"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", None, "an AVIF image"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", None, "a video"),
        (b"GIF89a\x01\x00\x01\x00", None, "a GIF"),
        (encoded(Image.new("RGB", (4, 4)), "BMP"), None, "a BMP image"),
        (b"PK\x03\x04\x14\x00\x06\x00", None, "a ZIP archive or an Office document"),
    ],
)
def test_sniff_goes_by_the_bytes(head: bytes, kind: str | None, what: str | None) -> None:
    data = head + bytes(64)
    assert photos.sniff(data) == kind
    if kind is None:
        problem = photos.inspect(data, "image/jpeg", len(data), label="front photo")
        assert problem is not None
        assert problem.message == f"front photo: that is {what}; send a photo ({photos.ACCEPTED})"


def test_heic_is_generated_by_pillow_heif() -> None:
    data = heic()
    assert data[4:12] == b"ftypheic" and pillow_heif.is_supported(data)


# --- the comparison sheet


def portrait(colour: tuple[int, int, int]) -> bytes:
    return photos.normalise(encoded(Image.new("RGB", (900, 1200), colour), "JPEG"))


def test_side_by_side_has_a_cell_per_pose_and_check_in_and_greys_what_is_missing() -> None:
    columns: list[tuple[str, list[bytes | None]]] = [
        ("This week · Mon 11 May", [portrait(RED), portrait(GREEN), portrait(BLUE)]),
        ("Last week · Mon 04 May", [portrait(RED), None, portrait(BLUE)]),
        ("First · Mon 06 Apr", [portrait(RED)]),  # side and back never sent
    ]
    sheet = opened(photos.side_by_side(columns))
    assert sheet.format == "JPEG" and sheet.size == photos.sheet_size(3)
    assert sheet.width <= 3 * photos.CELL_WIDTH + 200 and sheet.height <= 3 * photos.CELL_HEIGHT + 120

    def inside(col: int, row: int) -> tuple[int, int]:
        left, top, _, _ = photos.cell_box(col, row)
        return left + 12, top + 12  # a corner of the cell, away from any placeholder's words

    assert near(sheet.getpixel(inside(0, 1)), GREEN)
    assert near(sheet.getpixel(inside(1, 0)), RED) and near(sheet.getpixel(inside(1, 2)), BLUE)
    for col, row in [(1, 1), (2, 1), (2, 2)]:
        assert near(sheet.getpixel(inside(col, row)), photos.PLACEHOLDER_GREY, tolerance=6), (col, row)
    # and the placeholder has words on it: darker pixels across its middle
    left, top, right, bottom = photos.cell_box(1, 1)
    middle = [sheet.getpixel((x, (top + bottom) // 2)) for x in range(left, right)]
    assert min(p[0] for p in middle) < 150


def test_side_by_side_shows_an_unreadable_photo_as_a_placeholder() -> None:
    sheet = opened(photos.side_by_side([("Week 1", [b"not a photo", portrait(RED), None])]))
    left, top, _, _ = photos.cell_box(0, 0)
    assert near(sheet.getpixel((left + 12, top + 12)), photos.PLACEHOLDER_GREY, tolerance=6)


def test_side_by_side_fits_any_photo_into_its_cell() -> None:
    huge = encoded(Image.new("RGB", (4000, 3000), BLUE), "JPEG")  # landscape, not normalised
    sheet = opened(photos.side_by_side([("Wide", [huge, huge, huge])] * photos.MAX_COLUMNS))
    assert sheet.size == photos.sheet_size(photos.MAX_COLUMNS)
    left, top, right, bottom = photos.cell_box(0, 0)
    assert near(sheet.getpixel(((left + right) // 2, (top + bottom) // 2)), BLUE)
    # fitted by width: bands above and below the photo, in the cell's own background
    assert not near(sheet.getpixel(((left + right) // 2, top + 5)), BLUE)


def test_side_by_side_refuses_shapes_it_cannot_draw() -> None:
    with pytest.raises(ValueError):
        photos.side_by_side([])
    with pytest.raises(ValueError):
        photos.side_by_side([("x", [])] * (photos.MAX_COLUMNS + 1))
    with pytest.raises(ValueError):
        photos.side_by_side([("x", [None, None, None, None])])


def test_side_by_side_cuts_a_title_too_wide_for_its_column() -> None:
    sheet = photos.side_by_side([("A very long title " * 10, [None, None, None])])
    assert opened(sheet).size == photos.sheet_size(1)
