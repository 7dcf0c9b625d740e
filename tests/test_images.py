import numpy as np
import pytest
from PIL import Image

from export import edge_score
from keras_adegan import ADeGANError
from keras_adegan.images import pixels, read_image


def digit(size=(8, 6)):
    x = np.zeros(size, np.uint8)
    x[1:3, 1:4] = 200  # a mark in the top-left corner: an orientation shows
    return x


def samples(tmp_path):
    """name -> (file, the uint8 pixels it shows, or None if it must be refused)."""
    x = digit()
    out = {}
    Image.fromarray(x.astype(np.uint16) * 257).save(tmp_path / "16bit.png")
    out["16bit"] = (tmp_path / "16bit.png", x[..., None])
    turned = Image.fromarray(np.rot90(x, 2).copy())  # stored upside down, EXIF says turn it
    exif = Image.Exif()
    exif[0x0112] = 3  # orientation: rotate 180
    turned.save(tmp_path / "exif.png", exif=exif)
    out["exif"] = (tmp_path / "exif.png", x[..., None])
    opaque = np.stack([x, np.full_like(x, 255)], -1)
    Image.fromarray(opaque, "LA").save(tmp_path / "opaque_la.png")
    out["opaque_la"] = (tmp_path / "opaque_la.png", x[..., None])
    see_through = np.stack([np.full_like(x, 255), x], -1)  # the digit lives in the alpha
    Image.fromarray(see_through, "LA").save(tmp_path / "alpha_la.png")
    out["alpha_la"] = (tmp_path / "alpha_la.png", None)
    palette = Image.fromarray(np.stack([x] * 3, -1)).convert("P", palette=Image.ADAPTIVE)
    palette.save(tmp_path / "palette.png")
    out["palette"] = (tmp_path / "palette.png", np.stack([x] * 3, -1))
    palette.save(tmp_path / "palette_transparent.png", transparency=0)
    out["palette_transparent"] = (tmp_path / "palette_transparent.png", None)
    return out


def test_images_are_read_as_they_show_or_refused(tmp_path):
    for name, (path, expected) in samples(tmp_path).items():
        if expected is None:
            with pytest.raises(ADeGANError, match="transparent pixels; flatten it"):
                read_image(path, name)
        else:
            np.testing.assert_array_equal(read_image(path, name), expected, err_msg=name)


def test_the_edge_scorers_copy_decodes_alike(tmp_path):
    for name, (path, expected) in samples(tmp_path).items():
        with Image.open(path) as img:
            img.load()
            if expected is None:
                for decode in (pixels, edge_score.pixels):
                    with pytest.raises(ValueError):
                        decode(img)
            else:
                np.testing.assert_array_equal(edge_score.pixels(img), pixels(img), err_msg=name)


def test_float_pixels_are_refused(tmp_path):
    Image.fromarray(np.ones((4, 4), np.float32)).save(tmp_path / "f.tiff")
    with pytest.raises(ADeGANError, match="32-bit floats"):
        read_image(tmp_path / "f.tiff", "f.tiff")
