"""The rdkit driver: the molecule a program draws, rendered at a fixed size."""

import os
import time

from .base import RenderError, run_module


class Driver:
    """Python that draws a molecule with RDKit. Drawing is redirected: Draw.MolToFile and
    Image.save write nothing where the program asks; the molecule drawn last is rendered at the
    fixed size, else the last image the program saved (fitted on white), else the last PNG it
    wrote with MolDraw2DCairo.WriteDrawingText into its working directory. The canonical SMILES of
    every molecule passed to a Draw function is reported for chemistry scores."""
    name = "rdkit"
    job_spares = 4

    def warm(self):
        from rdkit import Chem, rdBase
        from rdkit.Chem import AllChem, Draw  # noqa: F401  (the imports are the warm-up)
        from rdkit.Chem.Draw import rdMolDraw2D  # noqa: F401
        Draw.MolToImage(Chem.MolFromSmiles("c1ccccc1O"), size=(64, 64))
        return {"rdkit": rdBase.rdkitVersion}

    def sample_job(self):
        """What a typical job does, for the pages it writes (warm_pages): a molecule drawn and saved."""
        import io
        from rdkit import Chem
        from rdkit.Chem import Draw
        image = Draw.MolToImage(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"), size=(300, 300))
        image.convert("RGB").save(io.BytesIO(), "PNG")

    def render(self, compiled, settings, out_dir):
        from PIL import Image
        from rdkit import Chem
        from rdkit.Chem import Draw

        width, height = int(settings["width"]), int(settings["height"])
        drawn, saved = [], []
        real_to_image, real_save = Draw.MolToImage, Image.Image.save

        def mol_to_image(mol, *args, **kwargs):
            if mol is not None:
                drawn.append(mol)
            return real_to_image(mol, *args, **kwargs)

        def mol_to_file(mol, *args, **kwargs):
            if mol is not None:
                drawn.append(mol)

        def image_save(image, *args, **kwargs):
            saved.append(image.copy())

        Draw.MolToImage, Draw.MolToFile = mol_to_image, mol_to_file
        Image.Image.save = image_save
        Image.Image.show = lambda *args, **kwargs: None
        started = time.time()
        run_module(compiled)
        path = os.path.join(out_dir, "frame_00000.png")
        if drawn:
            real_save(real_to_image(drawn[-1], size=(width, height)).convert("RGB"), path)
        elif saved:
            real_save(fit_on_white(saved[-1], width, height), path)
        else:
            written = [os.path.join(".", f) for f in os.listdir(".") if f.lower().endswith(".png")]
            written = [f for f in written if os.path.getmtime(f) >= started - 1]
            if not written:
                raise RenderError("no_scene", "the program drew no molecule (no Draw call, saved image or PNG file)")
            with Image.open(max(written, key=os.path.getmtime)) as image:
                real_save(fit_on_white(image, width, height), path)
        smiles = [Chem.MolToSmiles(m) for m in drawn]
        return {"frames": [path], "media": path, "last_frame": path, "scene": None,
                "details": {"smiles": smiles[-1]} if smiles else {}}


def fit_on_white(image, width, height):
    """The image scaled to fit width x height, aspect kept, centred on white."""
    from PIL import Image
    image = image.convert("RGBA")
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = image.resize(size, Image.LANCZOS)
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(image, ((width - size[0]) // 2, (height - size[1]) // 2), image)
    return canvas
