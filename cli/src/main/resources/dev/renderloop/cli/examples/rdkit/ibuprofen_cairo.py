from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D

ibuprofen = Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)O")
drawer = rdMolDraw2D.MolDraw2DCairo(400, 400)
drawer.drawOptions().addAtomIndices = True
drawer.DrawMolecule(ibuprofen)
drawer.FinishDrawing()
drawer.WriteDrawingText("ibuprofen.png")
