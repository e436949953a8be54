package dev.renderloop.render;

/** The renderer contract, for RDKit drawing programs on the warm worker (Debian python3-rdkit). */
class RdkitConformanceIT extends RendererConformance {
    @Override
    protected Renderer newRenderer() {
        return new MatplotlibConformanceIT.DelegatingRenderer(TestEngines.plain(2), "rdkit");
    }

    @Override
    protected String validCode() {
        return "from rdkit import Chem\nfrom rdkit.Chem import Draw\nDraw.MolToFile(Chem.MolFromSmiles('CC(=O)Oc1ccccc1C(=O)O'), 'aspirin.png')\n";
    }

    @Override
    protected String otherValidCode() {
        return "from rdkit import Chem\nfrom rdkit.Chem import Draw\nimg = Draw.MolToImage(Chem.MolFromSmiles('c1ccccc1'))\nimg.save('benzene.png')\n";
    }

    @Override
    protected String invalidCode() {
        return "from rdkit import Chem\nmol = Chem.MolFromSmiles('CCO')\n";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.NO_SCENE;
    }
}
