from rdkit import Chem
from rdkit.Chem import Draw

caffeine = Chem.MolFromSmiles("Cn1cnc2c1c(=O)n(C)c(=O)n2C")
carbonyls = caffeine.GetSubstructMatches(Chem.MolFromSmarts("C=O"))
atoms = [i for match in carbonyls for i in match]
image = Draw.MolToImage(caffeine, size=(400, 400), highlightAtoms=atoms)
image.save("caffeine.png")
